"""events

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


from sqlalchemy.dialects import postgresql

revision: str = '0005'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uri', sa.String(length=2048), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('is_local', sa.Boolean(), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('description_source', sa.Text(), nullable=True),
    sa.Column('description_html', sa.Text(), nullable=False),
    sa.Column('start_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('rrule', sa.String(length=500), nullable=True),
    sa.Column('exdates', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('place_name', sa.String(length=255), nullable=True),
    sa.Column('street_address', sa.String(length=255), nullable=True),
    sa.Column('postal_code', sa.String(length=32), nullable=True),
    sa.Column('locality', sa.String(length=255), nullable=True),
    sa.Column('country', sa.String(length=64), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('online_url', sa.String(length=2048), nullable=True),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('image_url', sa.String(length=2048), nullable=True),
    sa.Column('image_alt', sa.String(length=1500), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('join_mode', sa.String(length=16), nullable=False),
    sa.Column('external_registration_url', sa.String(length=2048), nullable=True),
    sa.Column('comments_enabled', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('participant_count', sa.Integer(), nullable=False),
    sa.Column('document', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('published', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['actors.id'], name=op.f('fk_events_actor_id_actors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['actors.id'], name=op.f('fk_events_created_by_id_actors'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('uri', name=op.f('uq_events_uri'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_actor_start', ['actor_id', 'start_time'], unique=False)
        batch_op.create_index('ix_events_local_start', ['is_local', 'start_time'], unique=False)
        batch_op.create_index('ix_events_start', ['start_time'], unique=False)

    op.create_table('rsvps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uri', sa.String(length=2048), nullable=True),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('occurrence', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['actors.id'], name=op.f('fk_rsvps_actor_id_actors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_rsvps_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rsvps')),
    sa.UniqueConstraint('event_id', 'actor_id', 'occurrence', name='uq_rsvps_once'),
    sa.UniqueConstraint('uri', name=op.f('uq_rsvps_uri'))
    )
    with op.batch_alter_table('rsvps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rsvps_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index('ix_rsvps_event_state', ['event_id', 'state'], unique=False)

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_accounts_calendar_token'), ['calendar_token'])



def downgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_accounts_calendar_token'), type_='unique')
        batch_op.drop_column('calendar_token')

    with op.batch_alter_table('rsvps', schema=None) as batch_op:
        batch_op.drop_index('ix_rsvps_event_state')
        batch_op.drop_index(batch_op.f('ix_rsvps_actor_id'))

    op.drop_table('rsvps')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_start')
        batch_op.drop_index('ix_events_local_start')
        batch_op.drop_index('ix_events_actor_start')

    op.drop_table('events')
