"""Concept coverage of the online identifiers (issue 12, session 28): device and advertising ids, push registrations,
network addresses, usernames, credentials, precise locations and the header fields of a table of messages, in their
common spellings across platforms and languages, each read in a realistic table beside the lookalikes that must
stay non-PII there (a device's type, a token's expiry, a login count, a store's latitude, a message's subject).

The cases come from general knowledge of these platforms (Android, iOS, Firebase, APNs, Web Push, OpenRTB, Django,
Rails' Devise, OAuth, RFC 5322 headers), not from any labelled benchmark row. Pure: no Django, no database."""

from __future__ import annotations

import pytest

from pii.classifier import classify_column
from pii.context import table_context
from pii.vocabulary import default_pii_config


@pytest.fixture(scope="module")
def config():
    return default_pii_config()


def verdict(config, table, columns, name, data_type=None, description=None):
    columns = list(columns) if name in columns else [*columns, name]
    context = table_context(name=table, description=None, column_names=columns, config=config)
    return classify_column(name=name, data_type=data_type, description=description, meta={}, tags=(),
                           config=config, capsule_name=table, table=context).pii_type


# ----------------------------------------------------------------------------------------------- device ids
# A user's devices (a mobile app's backend), an app's events and a user's sessions.
DEVICES = ("user_devices", ["id", "user_id", "platform", "os_version", "app_version", "created_at"])
EVENTS = ("app_events", ["event_id", "event_name", "event_time", "user_id", "platform"])

DEVICE_IDS = [
    # handsets and SIMs: IMEI, IMSI, MEID, ICCID, a serial, Apple's UDID
    (DEVICES, "imei", None), (DEVICES, "imsi", None), (DEVICES, "meid", None), (DEVICES, "iccid", None),
    (DEVICES, "udid", None), (DEVICES, "device_serial_number", None), (DEVICES, "serial_number", None),
    (DEVICES, "hardware_id", None), (DEVICES, "hwid", None), (DEVICES, "machine_id", None),
    # advertising and vendor ids
    (EVENTS, "idfa", None), (EVENTS, "idfv", None), (EVENTS, "android_id", None), (EVENTS, "gaid", None),
    (EVENTS, "aaid", None), (EVENTS, "advertising_id", None), (EVENTS, "google_advertising_id", None),
    (EVENTS, "ad_id", None), (EVENTS, "advertisingIdentifier", None), (EVENTS, "identifierForVendor", None),
    (EVENTS, "identifier_for_advertising", None),
    # ids of the app's installation, the device and the browser
    (EVENTS, "device_id", None), (EVENTS, "deviceId", None), (EVENTS, "DeviceID", None), (EVENTS, "device_uuid", None),
    (EVENTS, "installation_id", None), (EVENTS, "install_id", None), (EVENTS, "app_instance_id", None),
    (EVENTS, "device_fingerprint", None), (EVENTS, "browser_fingerprint", None),
    (EVENTS, "anonymous_id", None), (EVENTS, "anon_id", None), (EVENTS, "visitor_id", None),
    (EVENTS, "cookie_id", None), (EVENTS, "ga_client_id", None), (EVENTS, "user_pseudo_id", None),
    (EVENTS, "visitor_token", None), (DEVICES, "device_guid", None), (DEVICES, "hardware_uuid", None),
    (EVENTS, "appsflyer_id", None), (EVENTS, "adjust_id", None), (EVENTS, "ifv", None),
    # push registrations: FCM, GCM, APNs, Expo and web push
    (DEVICES, "fcm_token", None), (DEVICES, "apns_token", None), (DEVICES, "push_token", None),
    (DEVICES, "device_token", None), (DEVICES, "gcm_registration_id", None), (DEVICES, "registration_token", None),
    (DEVICES, "firebase_token", None), (DEVICES, "expo_push_token", None), (DEVICES, "fcmToken", None),
    (DEVICES, "registration_id", None), (DEVICES, "token", None), (DEVICES, "push_endpoint", None),
    (DEVICES, "voip_token", None),
    (DEVICES, "pushkit_token", None),
    (("push_subscriptions", ["id", "user_id", "endpoint", "p256dh", "created_at"]), "endpoint", None),
    # radio addresses
    (DEVICES, "mac_address", None), (DEVICES, "macaddress", None), (DEVICES, "wifi_mac", None),
    (DEVICES, "bluetooth_address", None), (DEVICES, "bt_mac", None),
    # the device's own name ("Jane's iPhone") and the browser's user agent
    (DEVICES, "device_name", None), (EVENTS, "user_agent", None), (EVENTS, "useragent", None),
    (EVENTS, "http_user_agent", None),
    # other languages: a device's id in Spanish/Portuguese/Italian, French, German and Dutch
    (DEVICES, "id_dispositivo", None), (DEVICES, "identifiant_appareil", None), (DEVICES, "geraete_id", None),
    (DEVICES, "apparaat_id", None),
]

DEVICE_LOOKALIKES = [
    (DEVICES, "device_type"), (DEVICES, "device_model"), (DEVICES, "device_os"), (DEVICES, "os_version"),
    (DEVICES, "device_brand"), (DEVICES, "device_category"), (DEVICES, "device_language"), (DEVICES, "app_version"),
    (DEVICES, "is_mobile_device"), (DEVICES, "device_count"), (DEVICES, "token_expires_at"),
    (DEVICES, "push_enabled"), (DEVICES, "screen_width"), (DEVICES, "platform"),
    (("products", ["id", "sku", "name", "price"]), "serial_number"),
    (("event_registrations", ["id", "event_id", "attendee_email", "status"]), "registration_id"),
    (("webhooks", ["id", "url", "secret", "created_at"]), "endpoint"),
    (("servers", ["id", "hostname", "region"]), "instance_id"),
    (("routers", ["id", "model", "site"]), "mac_address"),
]


@pytest.mark.parametrize(("table", "name", "data_type"), DEVICE_IDS,
                         ids=[case[1] for case in DEVICE_IDS])
def test_device_identifiers_in_their_many_spellings(config, table, name, data_type):
    assert verdict(config, table[0], table[1], name, data_type) == "device_id"


@pytest.mark.parametrize(("table", "name"), DEVICE_LOOKALIKES, ids=[f"{t[0]}.{n}" for t, n in DEVICE_LOOKALIKES])
def test_what_a_device_or_its_registration_is_without_identifying_it(config, table, name):
    assert verdict(config, table[0], table[1], name) is None


# ----------------------------------------------------------------------------------------------- network
SESSIONS = ("user_sessions", ["id", "user_id", "session_key", "created_at", "last_seen_at"])
NETWORK = [
    "ip", "ip_address", "ipaddress", "IPAddress", "ip_addr", "ipv4", "ipv6", "ip_v4", "ipv4_address",
    "ipv6_address", "client_ip", "ClientIP", "remote_addr", "RemoteAddr", "remote_ip", "remote_address",
    "source_ip", "src_ip", "user_ip", "last_login_ip", "current_sign_in_ip", "last_sign_in_ip", "x_forwarded_for",
    "forwarded_for", "real_ip", "peer_ip", "signup_ip", "registration_ip", "remote_host", "client_host",
    # in Spanish, Portuguese, French, Italian, German and Dutch
    "direccion_ip", "endereco_ip", "adresse_ip", "indirizzo_ip", "ip_adresse", "ip_adres",
]
NETWORK_LOOKALIKES = [
    (SESSIONS, "ip_country"), (SESSIONS, "ip_version"), (SESSIONS, "ip_count"),
    (("servers", ["id", "hostname", "region"]), "server_ip"),
    (("servers", ["id", "server_ip", "region"]), "hostname"),
    (("geoip_blocks", ["network", "geoname_id", "postal_code"]), "ip_range_start"),
]


@pytest.mark.parametrize("name", NETWORK)
def test_a_users_network_address_in_its_many_spellings(config, name):
    assert verdict(config, SESSIONS[0], SESSIONS[1], name) == "ip_address"


def test_an_inet_column_of_a_session_is_an_ip_address_whatever_its_name(config):
    assert verdict(config, SESSIONS[0], SESSIONS[1], "client_addr", "inet") == "ip_address"
    assert verdict(config, SESSIONS[0], SESSIONS[1], "origin", "inet") == "ip_address"


@pytest.mark.parametrize(("table", "name"), NETWORK_LOOKALIKES, ids=[n for _, n in NETWORK_LOOKALIKES])
def test_what_an_address_is_or_a_servers_address_is_not_a_users(config, table, name):
    assert verdict(config, table[0], table[1], name) is None


# ----------------------------------------------------------------------------------------------- usernames
USERS = ("users", ["id", "email", "first_name", "last_name", "created_at"])
USERNAMES = [
    "username", "user_name", "userName", "UserName", "login", "login_name", "user_login", "loginname",
    "screen_name", "screenname", "handle", "twitter_handle", "instagram_handle", "github_login", "github_username",
    "telegram_username", "discord_username", "slack_handle", "sam_account_name", "samaccountname",
    "user_principal_name", "gamertag", "login_id", "account_login", "distinguished_name",
    # other languages: German, Dutch, French, Spanish, Portuguese, Italian
    "benutzername", "gebruikersnaam", "nom_utilisateur", "nombre_de_usuario", "nome_de_usuario", "nome_utente",
    "pseudo",
    # Turkish, Polish, Finnish, Swedish, Norwegian, Danish, Croatian
    "kullanici_adi", "nazwa_uzytkownika", "kayttajatunnus", "anvandarnamn", "brukernavn", "brugernavn",
    "korisnicko_ime",
]
USERNAME_LOOKALIKES = [
    "login_count", "last_login", "last_login_at", "login_attempts", "failed_login_count", "username_changed_at",
    "is_username_verified", "login_enabled", "login_type",
]


@pytest.mark.parametrize("name", USERNAMES)
def test_an_accounts_login_in_its_many_spellings(config, name):
    assert verdict(config, USERS[0], USERS[1], name) == "username"


@pytest.mark.parametrize("name", USERNAME_LOOKALIKES)
def test_a_count_a_time_or_a_flag_about_a_login_is_not_the_login(config, name):
    assert verdict(config, USERS[0], USERS[1], name) is None


def test_the_username_of_a_login_attempt_or_an_audit_record(config):
    columns = ["id", "ip_address", "user_agent", "attempt_time", "failures"]
    assert verdict(config, "access_attempts", columns, "username") == "username"
    assert verdict(config, "login_events", ["id", "remote_ip", "datetime"], "username") == "username"


# ----------------------------------------------------------------------------------------------- credentials
CREDENTIALS = [
    "password", "passwd", "pwd", "pass", "password_hash", "password_digest", "encrypted_password",
    "hashed_password", "crypted_password", "salt", "password_salt", "api_key", "apikey", "api_secret",
    "secret_key", "client_secret", "access_token", "refresh_token", "auth_token", "authentication_token",
    "bearer_token", "oauth_token", "oauth_token_secret", "token_secret", "private_key", "otp_secret",
    "otp_secret_key", "totp_secret", "mfa_secret", "two_factor_secret", "otp_backup_codes", "backup_codes",
    "recovery_codes", "reset_password_token", "confirmation_token", "unlock_token", "remember_token",
    "security_answer", "secret_answer", "pin", "pin_hash", "passcode", "passphrase", "session_token",
    "webhook_secret", "jwt_token", "token_hash", "token_digest", "app_password", "totp_key", "recovery_key",
    "verification_code", "secure_key", "encryption_key", "psk",
    # other languages: German, Portuguese, Spanish, Catalan, French, Dutch, Finnish, Polish, Swedish, Norwegian
    "passwort", "kennwort", "senha", "contrasena", "contrasenya", "mot_de_passe", "motdepasse", "wachtwoord",
    "salasana", "haslo", "losenord", "passord",
]
CREDENTIAL_LOOKALIKES = [
    "has_password", "password_changed_at", "password_expires_at", "reset_password_sent_at", "remember_created_at",
    "token_expires_at", "token_type", "otp_enabled", "mfa_enabled", "two_factor_enabled", "otp_required_for_login",
    "password_strength", "requires_password_change", "secret_question", "public_key", "passenger_count",
    "passport_expiry_date", "api_key_id", "login_count", "verification_code_sent_at", "recovery_key_generated_at",
]


@pytest.mark.parametrize("name", CREDENTIALS)
def test_a_password_secret_or_token_in_its_many_spellings(config, name):
    assert verdict(config, USERS[0], USERS[1], name) == "credential"


@pytest.mark.parametrize("name", CREDENTIAL_LOOKALIKES)
def test_a_time_a_flag_or_a_kind_of_secret_is_not_the_secret(config, name):
    assert verdict(config, USERS[0], USERS[1], name) != "credential"


@pytest.mark.parametrize(("table", "columns", "name"), [
    ("oauth_access_tokens", ["id", "user_id", "application_id", "expires", "scope"], "token"),
    ("api_keys", ["id", "user_id", "name", "created_at"], "key"),
    ("otp_devices", ["id", "user_id", "name", "confirmed"], "key"),
    ("otp_static_tokens", ["id", "device_id", "created_at"], "token"),
    ("user_otp_codes", ["id", "user_id", "expires_at"], "code"),
    ("auth_tokens", ["id", "user_id", "created", "expiry"], "digest"),
])
def test_the_value_of_a_table_of_secrets_is_the_secret(config, table, columns, name):
    assert verdict(config, table, columns, name) == "credential"
    # its expiry, scope and owner are not
    assert verdict(config, table, columns, columns[-1]) is None


def test_a_web_push_subscriptions_auth_secret_is_a_credential_and_its_public_key_is_not(config):
    columns = ["id", "user_id", "endpoint", "p256dh", "auth", "browser"]
    assert verdict(config, "webpush_subscriptions", columns, "auth", description="User auth secret") == "credential"
    assert verdict(config, "webpush_subscriptions", columns, "key_auth") == "credential"
    assert verdict(config, "webpush_subscriptions", columns, "p256dh") is None
    assert verdict(config, "webpush_subscriptions", columns, "browser") is None


# ----------------------------------------------------------------------------------------------- geolocation
CHECKINS = ("user_checkins", ["id", "user_id", "checked_in_at", "venue_id"])
GEO = [
    "latitude", "longitude", "lat", "lon", "lng", "geo_lat", "geo_lng", "geo_latitude", "geo_longitude",
    "location_lat", "location_lng", "loc_lat", "loc_lon", "gps_latitude", "gps_longitude", "gps_lat", "gps_lon",
    "coordinates", "coords", "geo_point", "geopoint", "lat_lng", "latlng", "latlon", "lat_long", "geohash",
    "gps_position", "gps_coordinates", "home_latitude", "last_known_latitude", "current_lat", "pickup_latitude",
    "dropoff_longitude", "latitudeE7", "lat_e7", "latitude_deg", "plus_code", "what3words",
    # in Spanish, German, Italian, Turkish; coordinates in Spanish and German
    "latitud", "longitud", "breitengrad", "laengengrad", "latitudine", "longitudine", "enlem", "boylam",
    "coordenadas", "koordinaten",
]
GEO_LOOKALIKES = [
    (CHECKINS, "location_accuracy"), (CHECKINS, "timezone"), (CHECKINS, "geo_country"), (CHECKINS, "city"),
    (CHECKINS, "altitude_accuracy"), (CHECKINS, "location_permission"), (CHECKINS, "has_location"),
    (("stores", ["id", "name", "address", "city"]), "latitude"),
    (("warehouses", ["id", "code", "city"]), "longitude"),
    (("cities", ["id", "name", "country_code", "population"]), "lat"),
    (("venues", ["id", "name", "address"]), "geohash"),
    (("stores", ["id", "name", "address", "city"]), "plus_code"),
]


@pytest.mark.parametrize("name", GEO)
def test_a_persons_precise_location_in_its_many_spellings(config, name):
    assert verdict(config, CHECKINS[0], CHECKINS[1], name) == "geolocation"


@pytest.mark.parametrize(("table", "name"), GEO_LOOKALIKES, ids=[f"{t[0]}.{n}" for t, n in GEO_LOOKALIKES])
def test_a_places_coordinates_or_a_coarse_or_technical_location_field_is_not_a_persons_location(config, table, name):
    assert verdict(config, table[0], table[1], name) is None


def test_the_location_of_a_device_event_is_its_users(config):
    columns = ["event_id", "device_id", "event_time", "latitude", "longitude"]
    assert verdict(config, "app_events", columns, "latitude") == "geolocation"
    assert verdict(config, "app_events", columns, "longitude") == "geolocation"


# ----------------------------------------------------------------------------------------------- message headers
MESSAGE_TABLES = ["messages", "emails", "mail_log", "outbound_emails", "email_queue", "sent_mails",
                  "inbound_messages", "mailbox_message", "mail_messages", "email_deliveries", "correspondence",
                  # in Spanish, German, Dutch and Italian
                  "mensajes", "nachrichten", "berichten", "messaggi"]
HEADERS = ["sender", "recipient", "recipients", "to", "from", "cc", "bcc", "reply_to", "return_path",
           "from_address", "to_addresses", "sender_email", "from_email", "to_emails", "cc_emails", "bcc_emails",
           "mail_from", "envelope_to", "delivered_to", "from_header", "to_header", "cc_header", "copy_to", "cc_to",
           "blind_copy", "send_to", "recipients_cc",
           # the sender and the recipient in Spanish, French, German, Dutch and Italian
           "destinatario", "remitente", "expediteur", "absender", "afzender", "mittente"]
HEADER_LOOKALIKES = ["subject", "body", "message_id", "sent_at", "sender_id", "recipient_count", "is_read",
                     "thread_id", "in_reply_to", "attachment_count", "from_date", "to_date", "headers"]


@pytest.mark.parametrize("table", MESSAGE_TABLES)
@pytest.mark.parametrize("name", HEADERS)
def test_the_header_fields_of_a_table_of_messages_are_email_addresses(config, table, name):
    columns = ["id", "subject", "body", "sent_at", name]
    assert verdict(config, table, columns, name) == "email"


@pytest.mark.parametrize("name", HEADER_LOOKALIKES)
def test_a_messages_subject_body_keys_and_times_are_not_addresses(config, name):
    columns = ["id", "from", "to", "cc", "subject", "body", "sent_at", name]
    assert verdict(config, "messages", columns, name) is None


def test_header_words_outside_a_table_of_messages_are_not_addresses(config):
    columns = ["id", "from", "to", "weight", "shipped_at"]
    assert verdict(config, "shipments", columns, "from") is None
    assert verdict(config, "shipments", columns, "to") is None
    assert verdict(config, "currency_rates", ["id", "from", "to", "rate"], "from") is None


def test_the_name_of_a_key_or_a_second_factor_is_its_label_not_a_persons_name(config):
    columns = ["id", "user_id", "name", "email", "token", "valid_until"]
    assert verdict(config, "otp_email_emaildevice", columns, "name") is None
    assert verdict(config, "otp_email_emaildevice", columns, "token") == "credential"
    assert verdict(config, "otp_email_emaildevice", columns, "email") == "email"
    # a bare name beside the row's own email in an address book is still the person's
    assert verdict(config, "contacts", ["id", "name", "email"], "name") == "person_name"


def test_a_user_name_is_a_login_unless_a_description_or_a_path_says_it_is_the_users_name(config):
    def read(name, description=None):
        context = table_context(name="users", description=None, column_names=["id", "email", name], config=config)
        return classify_column(name=name, data_type="varchar", description=description, meta={}, tags=(),
                               config=config, capsule_name="users", table=context).pii_type
    assert read("user_name") == "username"
    assert read("snowflake_user_name") == "username"
    assert read("user_name", "The name of the user") == "person_name"
    assert read("user_name", "Display name for the user") == "person_name"
    # the name field of a user object (an event payload's user.name) is the user's name
    assert read("user.name") == "person_name"
    assert read("user.username") == "username"


@pytest.mark.parametrize(("table", "columns"), [
    ("trips", ["trip_id", "rider_id", "fare", "pickup_latitude", "dropoff_longitude"]),
    ("location_history", ["id", "user_id", "accuracy", "recorded_at", "lat", "lng"]),
    ("checkins", ["id", "member_id", "created_at", "lat", "lon"]),
    ("rides", ["id", "customer_id", "fare", "start_lat", "end_lng"]),
])
def test_coordinates_of_rows_keyed_by_a_person_are_where_that_person_was(config, table, columns):
    for name in columns[-2:]:
        assert verdict(config, table, columns, name) == "geolocation", name
    assert verdict(config, table, columns, columns[2]) is None


@pytest.mark.parametrize(("table", "columns"), [
    ("stores", ["id", "manager_id", "latitude", "longitude"]),
    ("warehouses", ["id", "employee_id", "latitude", "longitude"]),
    ("points_of_interest", ["id", "created_by", "lat", "lon"]),
    ("listings", ["id", "agent_id", "price", "latitude", "longitude"]),
    ("cities", ["id", "user_id", "lat", "lng"]),
])
def test_coordinates_of_a_place_or_of_rows_a_person_only_keeps_are_not_a_persons_location(config, table, columns):
    for name in columns[-2:]:
        assert verdict(config, table, columns, name) is None, name


@pytest.mark.parametrize("header", ["in_reply_to", "x_mailer", "mime_version", "return_path", "dkim_signature"])
def test_a_table_with_a_header_only_a_stored_mail_has_holds_messages_whatever_its_name(config, header):
    columns = ["id", "from", "to", "cc", "subject", header]
    for name in ("from", "to", "cc"):
        assert verdict(config, "archive_items", columns, name) == "email", name
    assert verdict(config, "archive_items", columns, "subject") is None
    # without such a header, a table's from and to are not addresses
    assert verdict(config, "archive_items", ["id", "from", "to", "subject"], "from") is None
