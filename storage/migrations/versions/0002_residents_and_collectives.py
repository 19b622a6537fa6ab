"""residents and collectives

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op




revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('max_uses', sa.Integer(), nullable=False),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['accounts.id'], name=op.f('fk_invitations_created_by_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['actors.id'], name=op.f('fk_invitations_group_id_actors'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
    sa.UniqueConstraint('code_sha256', name=op.f('uq_invitations_code_sha256'))
    )
    op.create_table('media',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('alt_text', sa.String(length=1500), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('remote_url', sa.String(length=2048), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['actors.id'], name=op.f('fk_media_owner_id_actors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_media_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media')),
    sa.UniqueConstraint('key', name=op.f('uq_media_key'))
    )
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_post_id'), ['post_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('from_actor_id', sa.Integer(), nullable=True),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['from_actor_id'], ['actors.id'], name=op.f('fk_notifications_from_actor_id_actors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id'], ['actors.id'], name=op.f('fk_notifications_group_id_actors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_notifications_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['actors.id'], name=op.f('fk_notifications_recipient_id_actors'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_recipient_created', ['recipient_id', 'created_at'], unique=False)

    op.create_table('password_resets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_sha256', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_password_resets_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_resets')),
    sa.UniqueConstraint('code_sha256', name=op.f('uq_password_resets_code_sha256'))
    )
    op.create_table('post_mentions',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['actors.id'], name=op.f('fk_post_mentions_actor_id_actors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_mentions_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id', 'actor_id', name=op.f('pk_post_mentions'))
    )
    with op.batch_alter_table('post_mentions', schema=None) as batch_op:
        batch_op.create_index('ix_post_mentions_actor', ['actor_id'], unique=False)

    op.create_table('post_tags',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_tags_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id', 'tag', name=op.f('pk_post_tags'))
    )
    with op.batch_alter_table('post_tags', schema=None) as batch_op:
        batch_op.create_index('ix_post_tags_tag_post', ['tag', 'post_id'], unique=False)

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signup_reason', sa.Text(), nullable=True))

    with op.batch_alter_table('actors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('summary_source', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('icon_alt', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('header_url', sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column('header_alt', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('join_mode', sa.String(length=16), nullable=False, server_default='open'))
        batch_op.add_column(sa.Column('members_only_posting', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('place_name', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('street_address', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('postal_code', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('locality', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('latitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('opening_hours', sa.Text(), nullable=True))

    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=16), nullable=False, server_default='accepted'))
        batch_op.add_column(sa.Column('uri', sa.String(length=2048), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_column('uri')
        batch_op.drop_column('state')

    with op.batch_alter_table('actors', schema=None) as batch_op:
        batch_op.drop_column('opening_hours')
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')
        batch_op.drop_column('locality')
        batch_op.drop_column('postal_code')
        batch_op.drop_column('street_address')
        batch_op.drop_column('place_name')
        batch_op.drop_column('members_only_posting')
        batch_op.drop_column('join_mode')
        batch_op.drop_column('header_alt')
        batch_op.drop_column('header_url')
        batch_op.drop_column('icon_alt')
        batch_op.drop_column('summary_source')

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('signup_reason')

    with op.batch_alter_table('post_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_post_tags_tag_post')

    op.drop_table('post_tags')
    with op.batch_alter_table('post_mentions', schema=None) as batch_op:
        batch_op.drop_index('ix_post_mentions_actor')

    op.drop_table('post_mentions')
    op.drop_table('password_resets')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_recipient_created')

    op.drop_table('notifications')
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_post_id'))
        batch_op.drop_index(batch_op.f('ix_media_owner_id'))

    op.drop_table('media')
    op.drop_table('invitations')
