"""The OpenAPI 3 description of the client web service's JSON endpoints (W5): the install report
(W2, implemented in activation) and the licence validation (W4). Client apps depend on it: change
it only compatibly."""
from licensing.clientapi import TOKEN_PATTERN
from licensing.models import Licence

_TOKEN = {"type": "string", "pattern": TOKEN_PATTERN, "minLength": 1, "maxLength": 128}
_NO_STORE = {"Cache-Control": {"description": "Always `no-store`.", "schema": {"type": "string"}}}

_ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "A stable code: `unauthorized`, `too_many_requests`, `bad_request`."},
        "message": {"type": "string", "description": "What is wrong, in English, for logs and support."},
    },
}

_INSTALL_ERROR = {"application/json": {"schema": {
    "type": "object", "required": ["error"], "properties": {"error": {"type": "string", "description": "What is wrong, in English."}},
}}}

_LICENCE_ANSWER = {
    "type": "object",
    "required": [
        "status", "message", "username", "device_id", "edition", "valid_until",
        "issued_at", "cache_until", "nonce", "key_id", "signature",
    ],
    "properties": {
        "status": {
            "type": "string",
            "enum": [choice.value for choice in Licence.Answer],
            "description": "`valid`: the licence is bound to this device. `conflict`: it is bound to another device "
            "(the client is stuck until the operator clears the licence status). `expired`: past `valid_until`. "
            "`revoked`: the account's keys were revoked, the app must be provisioned again. `disabled`: the account is disabled.",
        },
        "message": {"type": "string", "description": "The answer explained for the user, in English."},
        "username": {"type": "string", "description": "The SIP username that authenticated."},
        "device_id": {"type": "string", "description": "The device id of the request, echoed."},
        "edition": {"type": "string", "enum": [choice.value for choice in Licence.Edition]},
        "valid_until": {
            "type": "string", "format": "date", "nullable": True,
            "description": "Last day of validity (inclusive), null for no end date.",
        },
        "issued_at": {"type": "string", "format": "date-time"},
        "cache_until": {
            "type": "string", "format": "date-time",
            "description": "The client may rely on this answer without asking again until then (offline grace period).",
        },
        "nonce": {"type": "string", "nullable": True, "description": "The request's nonce, echoed (null when none was sent)."},
        "key_id": {
            "type": "string",
            "description": "First 16 hex digits of SHA-256 of the raw public key that verifies `signature`.",
        },
        "signature": {
            "type": "string", "format": "byte",
            "description": "Base64 Ed25519 signature over the answer without its `signature` member, serialised as "
            "RFC 8785 canonical JSON (members sorted by name, no whitespace, UTF-8). Verify it with the 32-byte "
            "public key published on the console's Services page and in the configuration file.",
        },
    },
}


def openapi_document() -> dict:
    """The OpenAPI 3.0 document served at /client/v1/openapi.json."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "SIP Operator Console: client web service",
            "version": "1.0.0",
            "description": "Endpoints the client app calls. All answers carry `Cache-Control: no-store`.",
        },
        "paths": {
            "/client/v1/installed": {
                "post": {
                    "operationId": "reportInstalled",
                    "summary": "The app reports itself installed (W2).",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {
                            "type": "object",
                            "required": ["token"],
                            "properties": {"token": {"type": "string", "minLength": 1, "description": "The installation token from the SMS link."}},
                        }}},
                    },
                    "responses": {
                        "204": {"description": "Recorded: the account's status is Installed."},
                        "400": {"description": "The body is not a JSON object with a `token` string.", "content": _INSTALL_ERROR},
                        "404": {"description": "Unknown token.", "content": _INSTALL_ERROR},
                        "410": {"description": "The token was used or has expired.", "content": _INSTALL_ERROR},
                    },
                },
            },
            "/client/v1/licence": {
                "post": {
                    "operationId": "validateLicence",
                    "summary": "Validate the account's licence for this device (W4).",
                    "description": "The first device that validates binds the licence; another device gets `conflict` "
                    "until the operator clears the licence status. Every answer is signed.",
                    "security": [{"sipCredentials": []}],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {
                            "type": "object",
                            "required": ["device_id"],
                            "properties": {
                                "device_id": {**_TOKEN, "description": "A stable id of this device."},
                                "nonce": {
                                    **_TOKEN, "nullable": True,
                                    "description": "Optional (null is the same as absent); echoed in the signed answer against replay.",
                                },
                            },
                        }}},
                    },
                    "responses": {
                        "200": {
                            "description": "The signed licence answer (whatever its status).",
                            "headers": _NO_STORE,
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LicenceAnswer"}}},
                        },
                        "400": {
                            "description": "The body is not a JSON object with a valid `device_id`.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                        },
                        "401": {
                            "description": "Missing or wrong SIP credentials (it does not say whether the username exists).",
                            "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                        },
                        "429": {
                            "description": "Too many requests, or failed validations, for this username from this address; or too many from this address.",
                            "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                        },
                    },
                },
            },
        },
        "components": {
            "securitySchemes": {
                "sipCredentials": {
                    "type": "http", "scheme": "basic",
                    "description": "The account's SIP username and password.",
                },
            },
            "schemas": {"LicenceAnswer": _LICENCE_ANSWER, "Error": _ERROR},
        },
    }
