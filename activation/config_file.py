"""The configuration file the Activate button hands to the client app (P4)."""
from xml.etree import ElementTree

from django.conf import settings

from activation.customer import Activation
from console.models import ServiceSettings
from licensing.signing import key_id, public_key_b64

MEDIA_TYPE = "application/vnd.sipconsole.provisioning+xml"
FORMAT_VERSION = "1"


def _text(parent: ElementTree.Element, tag: str, value) -> None:
    ElementTree.SubElement(parent, tag).text = "" if value is None else str(value)


def _flag(value: bool) -> str:
    return "true" if value else "false"


def configuration_xml(activation: Activation, public_base_url: str) -> bytes:
    """The provisioning document: SIP credentials, server address, account and profile settings."""
    account, profile = activation.account, activation.profile
    services = ServiceSettings.load()
    host = (profile.sip_host if profile else "") or services.sip_server_host or settings.SIP_DOMAIN
    port = (profile.sip_port if profile and profile.sip_host else None) or services.sip_server_port or (profile.sip_port if profile else 5061)
    root = ElementTree.Element("provisioning", version=FORMAT_VERSION)
    sip = ElementTree.SubElement(root, "account")
    _text(sip, "username", account.username)
    _text(sip, "password", activation.password)
    _text(sip, "domain", settings.SIP_DOMAIN)
    _text(sip, "displayName", account.owner)
    _text(sip, "callerId", account.caller_id)
    _text(sip, "virtualNumber", account.virtual_number)
    _text(sip, "secondaryNumber", account.secondary_number or "")
    _text(sip, "securityModel", account.security_model)
    ElementTree.SubElement(sip, "obfuscation", enabled=_flag(account.obfuscation), key=str(account.obfuscation_key))
    _text(sip, "keepAlive", _flag(account.keepalive))
    ElementTree.SubElement(root, "server", host=host, port=str(port), transport=profile.transport if profile else "tls")
    client = ElementTree.SubElement(root, "client")
    _text(client, "profile", profile.name if profile else "")
    _text(client, "logging", _flag(profile.client_logging if profile else False))
    _text(client, "readOnlySettings", _flag(profile.readonly_settings if profile else True))
    _text(client, "oemLicenceCode", profile.oem_licence_code if profile else "")
    ElementTree.SubElement(
        root, "support", phone=profile.support_phone if profile else "", email=profile.support_email if profile else ""
    )
    licence = getattr(account, "licence", None)
    if licence is not None:
        ElementTree.SubElement(
            root, "licence", edition=licence.edition, validUntil=licence.valid_until.isoformat() if licence.valid_until else ""
        )
    ElementTree.SubElement(
        root, "webService", baseUrl=public_base_url, licenceUrl=f"{public_base_url}/client/v1/licence",
        licenceKey=public_key_b64(), licenceKeyId=key_id(),
    )
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def configuration_filename(account) -> str:
    return f"sipconsole-{account.username}.scprov"
