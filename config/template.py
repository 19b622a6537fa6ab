"""The commented configuration file that `quartiers init` writes and config.example.toml shows."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from config.settings import DEFAULT_SQLITE_URL


@dataclass(frozen=True)
class ConfigValues:
    name: str = "Quartier des Pâquis"
    domain: str = "127.0.0.1:8000"
    scheme: str = "http"
    bind_host: str = "127.0.0.1"
    bind_port: int = 8000
    database_url: str = DEFAULT_SQLITE_URL
    allow_private_addresses: bool = False
    secret_key: str = "change-me-to-a-long-random-string-of-64-characters-or-more-please"  # noqa: S105
    registration: str = "invitation"


def random_secret() -> str:
    return secrets.token_urlsafe(48)


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_config(values: ConfigValues) -> str:
    allow = "true" if values.allow_private_addresses else "false"
    return f"""\
# Quartiers Collaboratifs — configuration
# Chaque clé peut être remplacée par une variable d'environnement QUARTIERS_<SECTION>_<CLÉ>,
# par exemple QUARTIERS_DATABASE_URL. / Every key can be overridden by an environment variable
# QUARTIERS_<SECTION>_<KEY>, for example QUARTIERS_DATABASE_URL.

[server]
# Nom de l'instance, montré aux habitant·es. / Instance name shown to residents.
name = {_toml_str(values.name)}
# Nom de domaine public, avec un port facultatif (127.0.0.1:8000 en développement).
# Ne le changez plus une fois fédéré : il fait partie de chaque identifiant.
# Public domain, with an optional port. Do not change it once federated: every id contains it.
# En développement (127.0.0.1:PORT, localhost:PORT), le port suit bind_port.
# In development (127.0.0.1:PORT, localhost:PORT), the port follows bind_port.
domain = {_toml_str(values.domain)}
# http ou https ; https derrière un proxy inverse en production.
# http or https; https behind a reverse proxy in production.
scheme = {_toml_str(values.scheme)}
# Adresse et port d'écoute du serveur web. / Address and port the web server listens on.
bind_host = {_toml_str(values.bind_host)}
bind_port = {values.bind_port}
# Langue par défaut (fr, en, de, it, es, pt, ar). / Default language (same choice).
default_language = "fr"
# Fuseau horaire des dates affichées. / Time zone for displayed dates.
timezone = "Europe/Zurich"
# Ville du quartier. / The neighbourhood's city.
city = "Genève"
# Ce que le quartier dit de lui aux autres quartiers (annuaire, NodeInfo), en une ou deux phrases.
# What the quartier says of itself to the others (directory, NodeInfo), in a sentence or two.
description = ""
# Une adresse où écrire à l'association (courriel ou page web). / Where to write to the association.
contact = ""
# Le quartier sur une carte : sud,ouest,nord,est en degrés, par ex. 46.205,6.140,46.215,6.155.
# The quartier on a map: south,west,north,east in degrees.
area = ""

[database]
# SQLite par défaut (un fichier relatif à ce dossier) ; PostgreSQL pour grandir :
# postgresql+asyncpg://utilisateur:motdepasse@hôte/base
# SQLite by default (a file relative to this folder); PostgreSQL to grow:
# postgresql+asyncpg://user:password@host/database
url = {_toml_str(values.database_url)}

[federation]
# Autoriser les adresses privées et locales (127.0.0.1…) : seulement en développement et en test.
# Allow private and loopback addresses (127.0.0.1…): for development and tests only.
allow_private_addresses = {allow}
# Taille maximale d'une activité reçue, en octets. / Largest accepted inbox body, in bytes.
max_body_bytes = 1048576
# Taille maximale d'une réponse lue d'un autre serveur. / Largest response read from a server.
max_response_bytes = 5242880
# Délai maximal d'une lecture distante, en secondes. / Timeout of a remote fetch, in seconds.
fetch_timeout_seconds = 10.0
# Délai maximal d'une livraison, en secondes. / Timeout of one delivery, in seconds.
delivery_timeout_seconds = 15.0
# User-Agent des requêtes sortantes ; vide = automatique. / Outgoing User-Agent; empty = automatic.
user_agent = ""
# Âge maximal d'une signature HTTP reçue, en secondes. / Oldest accepted HTTP signature, in seconds.
signature_max_age_seconds = 3600
# Livraisons simultanées par processus, et par serveur distant.
# Concurrent deliveries per process, and per remote server.
delivery_workers = 16
per_host_concurrency = 4
# Livraisons réclamées à la fois par un worker. / Deliveries a worker claims at once.
delivery_batch_size = 64
# Processus qui signent les livraisons à côté de la boucle ; 0 = le worker signe lui-même
# (chaque processus coûte environ 80 Mo).
# Processes signing deliveries beside the event loop; 0 = the worker signs itself
# (each process costs about 80 MB).
signing_processes = 0
# Activités reçues traitées simultanément par processus, et au plus par serveur d'origine
# tant que les siennes attendent d'autres serveurs (sinon sa part grandit).
# Received activities handled at once per process, and at most per origin server while its
# activities wait on other servers (otherwise its share grows).
inbox_workers = 16
per_origin_concurrency = 4
# Bail d'une ligne réclamée (renouvelé tant que le travail dure), en secondes : après un arrêt
# brutal d'un worker, ses lignes sont reprises par un autre au bout de ce délai.
# Lease of a claimed row (renewed while the work lasts), in seconds: after a worker dies, its
# rows are taken by another one after this delay.
lease_seconds = 60.0
# Mode sécurisé : exiger des GET signés pour lire nos objets.
# Secure mode: require signed GETs to read our objects.
secure_mode = false
# Quand deux quartiers se fédèrent, chacun récupère les activités publiques des collectifs de
# l'autre : celles des derniers jours, au plus ce nombre.
# When two quartiers federate, each fetches the public activities of the other's collectives:
# those of the last days, at most this many.
backfill_days = 30
backfill_max_items = 2000
# Publier nos blocages de domaines (CSV, /moderation/blocklist.csv) pour les autres quartiers.
# Publish our domain blocks (CSV, /moderation/blocklist.csv) for other quartiers to read.
publish_blocklist = false

[webui]
# Clé secrète des sessions (au moins 32 caractères, gardez-la secrète).
# Session secret key (at least 32 characters, keep it secret).
secret_key = {_toml_str(values.secret_key)}
# Inscriptions : open (ouvertes), approval (sur validation), invitation (sur invitation).
# Sign-up: open, approval (an admin approves), invitation (by invitation link).
registration = {_toml_str(values.registration)}
# Les habitants peuvent inviter leurs voisins (liens d'invitation, /invitations) : true ou false.
# Residents may invite their neighbours (invitation links, /invitations): true or false.
residents_invite = true
# Cookies seulement en HTTPS (Secure) : par défaut oui si server.scheme = "https", sinon non.
# Cookies over HTTPS only (Secure): by default yes when server.scheme = "https", otherwise no.
# session_https_only = true
# Tuiles de la carte (/map), le seul serveur tiers que la page appelle ; {{z}}/{{x}}/{{y}} requis.
# Map tiles (/map), the only third-party server the page calls; {{z}}/{{x}}/{{y}} required.
map_tiles_url = "https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png"
# Mention des sources des tuiles (HTML court). / Attribution of the tiles (short HTML).
map_attribution = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
# Centre des cartes quand rien n'est encore placé (ici Genève).
# Centre of the maps when nothing is placed yet (here Geneva).
map_center_latitude = 46.2044
map_center_longitude = 6.1432
# Recherche d'adresses facultative pour placer un lieu (API de recherche de type Nominatim, par
# ex. https://nominatim.openstreetmap.org/search) ; vide : on tape les coordonnées ou on clique
# sur la carte. / Optional address search to place a venue (a Nominatim-style search API, e.g.
# https://nominatim.openstreetmap.org/search); empty: type the coordinates or click on the map.
geocoder_url = ""
# Secondes pendant lesquelles une page de liste (échanges, fils, agenda) construite pour un·e
# visiteur·se non connecté·e sert aussi aux suivant·e·s, et le fil d'un·e habitant·e sert de
# nouveau à cette seule personne ; 0 : jamais. Une publication ici les renouvelle. / Seconds a
# listing page built for a visitor who is not signed in is also given to the next ones, and a
# resident's timeline back to them alone; 0: never. Anything published here renews them.
visitor_cache_seconds = 10.0

[mail]
# Envoi facultatif des liens de nouveau mot de passe par e-mail (SMTP). Sans serveur (host vide),
# aucun e-mail n'est envoyé et un·e admin donne le lien à la main.
# Optional sending of password-reset links by email (SMTP). Without a host, no mail is sent and
# an admin hands out the link.
host = ""
# Port SMTP (587 avec STARTTLS). / SMTP port (587 with STARTTLS).
port = 587
# Identifiants SMTP ; vides = sans authentification. / SMTP credentials; empty = no login.
username = ""
password = ""
# Adresse d'expédition ; vide = noreply@<domaine>. / From address; empty = noreply@<domain>.
sender = ""
# Chiffrer la connexion avec STARTTLS. / Encrypt the connection with STARTTLS.
starttls = true
"""
