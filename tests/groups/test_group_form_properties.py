"""Property tests of the group form posted through the views: whatever an operator types, the
console answers without a server error, and input that breaks a rule is never stored."""
import string

from django.db.models import Value
from django.db.models.functions import Lower
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activation.models import ProvisioningProfile
from console.models import AuditEntry
from groups.models import Group
from tests.console.payloads import form_as_submitted, group_data
from tests.console.state import rolled_back

PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
# Text a browser can send (no lone surrogates), including control characters and NUL.
typed_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=120)
names = st.one_of(
    typed_text,
    st.text(string.ascii_letters + " -&.", min_size=1, max_size=30),
    st.sampled_from(["Acme", "ACME", "acme ", "Globex", "Ärger", "ÄRGER", "İstanbul", "istanbul", "x" * 100, "x" * 101]),
)
emails = st.one_of(st.just(""), st.emails(), typed_text)
descriptions = st.one_of(st.just(""), typed_text, st.just("d" * 501))
profiles = st.one_of(st.just(""), st.integers(-5, 10**12).map(str), typed_text)


def _name_taken(name: str, exclude_pk: int | None) -> bool:
    """Whether another group has `name` regardless of case, as the database's unique constraint
    lower-cases (SQLite folds ASCII letters only; PostgreSQL folds by its locale)."""
    clash = Group.objects.annotate(lowered=Lower("name")).filter(lowered=Lower(Value(name)))
    return clash.exclude(pk=exclude_pk).exists()


def _breaks_a_rule(name: str, email: str, description: str, exclude_pk: int | None = None) -> bool:
    """An independent reading of the group rules (G2): a name of 1-100 characters after trimming,
    without control characters, unique regardless of case; a valid e-mail or none. Call it before
    the request, while the database holds the other groups only."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    stripped = name.strip()
    if not stripped or len(stripped) > 100 or any(ord(character) < 32 for character in stripped):
        return True
    if _name_taken(stripped, exclude_pk):
        return True
    if len(description.strip()) > 500 or "\x00" in description:
        return True
    if email.strip():
        try:
            validate_email(email.strip())
        except ValidationError:
            return True
    return False


@PROPERTY_SETTINGS
@given(name=names, email=emails, description=descriptions, profile=profiles)
def test_no_group_form_input_breaks_the_create_page_or_stores_a_bad_group(personas, client_for, name, email, description, profile):
    client = client_for(personas.administrator)
    existing = list(Group.objects.values_list("name", flat=True))
    breaks_a_rule = _breaks_a_rule(name, email, description)
    response = client.post(reverse("groups:group_create"), group_data(name=name, admin_email=email, description=description, profile=profile))
    assert response.status_code < 500
    created = Group.objects.exclude(name__in=existing)
    if response.status_code == 302:
        group = created.get()
        group.full_clean()
        assert group.name == name.strip()
        assert not breaks_a_rule
    else:
        assert response.status_code == 200
        assert Group.objects.count() == len(existing)


@PROPERTY_SETTINGS
@given(name=names, email=emails, description=descriptions, version=st.one_of(st.just("1"), typed_text))
def test_no_group_form_input_breaks_the_edit_page_or_stores_a_bad_group(personas, client_for, name, email, description, version):
    client = client_for(personas.administrator)
    group = Group.objects.get(pk=personas.group.pk)
    existing = list(Group.objects.values_list("name", flat=True))
    before = Group.objects.filter(pk=group.pk).values().get()
    breaks_a_rule = _breaks_a_rule(name, email, description, exclude_pk=group.pk)
    form = group_data(group, name=name, admin_email=email, description=description, version=version)
    response = client.post(reverse("groups:group_edit", args=[group.pk]), form)
    assert response.status_code < 500
    group.refresh_from_db()
    if response.status_code == 302:
        group.full_clean()
        assert group.name == name.strip()
        # A save that changes nothing writes nothing (O7): the version moves only with a change.
        after = Group.objects.filter(pk=group.pk).values().get()
        assert group.version == before["version"] + ({**after, "version": 0} != {**before, "version": 0})
        assert not breaks_a_rule
    else:
        assert Group.objects.filter(pk=group.pk).values().get() == before
    assert Group.objects.count() == len(existing)


def test_a_name_differing_only_in_the_case_of_an_accented_letter_is_refused_not_a_server_error(personas, client_for):
    """Found by the property test on SQLite: "ÄRGER" after "Ärger" passed the service's check
    (Python lower-cases Ä, SQLite does not) and hit the unique constraint as a server error."""
    client = client_for(personas.administrator)
    assert client.post(reverse("groups:group_create"), {"name": "Ärger"}).status_code == 302
    for variant in ("ÄRGER", "Ärger "):
        response = client.post(reverse("groups:group_create"), {"name": variant})
        assert response.status_code == 200
        assert "already exists" in str(response.context["form"].errors["name"])
    assert Group.objects.filter(name__startswith="Ä").count() == 1


trimmed = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=40).map(str.strip)


@PROPERTY_SETTINGS
@given(
    name=trimmed.filter(bool), email=st.one_of(st.just(""), st.emails().filter(lambda email: len(email) <= 254)),
    description=st.lists(trimmed, max_size=4).map(lambda lines: "\n".join(lines).strip()), with_profile=st.booleans(),
)
def test_the_edit_form_saved_untouched_changes_nothing(personas, client_for, name, email, description, with_profile):
    """O7: whatever a group holds (a description with line breaks included), its edit form as
    rendered, submitted back as a browser submits it, stores exactly what was there."""
    with rolled_back():
        if _name_taken(name, None):
            return
        profile = ProvisioningProfile.objects.first() if with_profile else None
        group = Group.objects.create(name=name, admin_email=email, description=description, profile=profile)
        before, audited = Group.objects.filter(pk=group.pk).values().get(), AuditEntry.objects.count()
        client = client_for(personas.administrator)
        url = reverse("groups:group_edit", args=[group.pk])
        response = client.post(url, form_as_submitted(client.get(url).content.decode(), containing="version"))
        assert response.status_code == 302
        assert Group.objects.filter(pk=group.pk).values().get() == before
        assert AuditEntry.objects.count() == audited
