"""Credentials like GitHub takes them: ``token T``, ``Bearer T`` (a token or an App JWT), Basic."""

from __future__ import annotations

import base64
import binascii
import json

import jwt

from fixbot.sandbox.api_core import ApiError, AppConfig, Principal
from fixbot.sandbox.store import Store

BAD_CREDENTIALS = "Bad credentials"
REQUIRES_AUTH = "Requires authentication"
BAD_JWT = "A JSON web token could not be decoded"


def credential(header: str | None) -> tuple[str, str] | None:
    """(scheme, secret) from an Authorization header; scheme is ``token``, ``bearer`` or
    ``basic`` (secret = the password, or the user name when the password is empty)."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme in ("token", "bearer") and value:
        return scheme, value
    if scheme == "basic" and value:
        try:
            user, _, password = base64.b64decode(value).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return scheme, ""
        return scheme, password or user
    return scheme, ""


def _looks_like_jwt(secret: str) -> bool:
    return secret.count(".") == 2 and secret.startswith("eyJ")


def verify_app_jwt(app: AppConfig | None, secret: str) -> Principal:
    if app is None:
        raise ApiError(401, BAD_JWT)
    try:
        claims = jwt.decode(secret, app.public_key_pem, algorithms=["RS256"],
                            options={"require": ["exp", "iat", "iss"], "verify_iss": False},
                            leeway=60)
    except jwt.PyJWTError as e:
        raise ApiError(401, BAD_JWT) from e
    if str(claims.get("iss")) != str(app.app_id):
        raise ApiError(401, BAD_JWT)
    return Principal(login=f"{app.slug}[bot]", kind="app")


def resolve(header: str | None, store: Store, app: AppConfig | None) -> Principal | None:
    """The caller, ``None`` when no credentials were sent; ``ApiError`` 401 when they are bad."""
    cred = credential(header)
    if cred is None:
        return None
    scheme, secret = cred
    if not secret:
        raise ApiError(401, BAD_CREDENTIALS)
    if scheme == "bearer" and _looks_like_jwt(secret):
        return verify_app_jwt(app, secret)
    row = store.lookup_token(secret)
    if row is None:
        raise ApiError(401, BAD_CREDENTIALS)
    if row["installation_id"] is not None:
        return Principal(row["login"], "installation", int(row["installation_id"]))
    grants = json.loads(row["permissions"]) if row.get("permissions") else None
    return Principal(row["login"], "user", permissions=grants)
