"""A form's field-specific messages (console/form_fields.SpecificErrors) are given once to the
fields its class declares: each form built shares them instead of working them out again, names
the field in them, keeps a message a field sets itself, and says them in the language of its
validation wherever its errors are shown."""
from django import forms
from django.utils import translation

from console.form_fields import SpecificErrors


class ContactForm(SpecificErrors, forms.Form):
    name = forms.CharField(label="Name", max_length=5)
    email = forms.EmailField(label="E-mail", required=False)
    code = forms.CharField(label="Code", error_messages={"required": "Type the code printed on the letter."})


def test_a_form_built_shares_its_class_s_messages_instead_of_working_them_out_again():
    first, second = ContactForm(), ContactForm()
    for name in ("name", "email"):
        declared = ContactForm.base_fields[name].error_messages["required"]
        assert first.fields[name].error_messages["required"] is declared
        assert second.fields[name].error_messages["required"] is declared


def test_the_messages_name_the_field_and_a_message_the_field_sets_itself_stays():
    form = ContactForm({"name": "far too long", "email": "nope", "code": ""})
    assert form.errors == {
        "name": ["The name can be at most 5 characters long (it has 12)."],
        "email": ["Enter the e-mail as an address like name@example.com."],
        "code": ["Type the code printed on the letter."],
    }


def test_errors_keep_the_language_of_their_validation_wherever_they_are_shown():
    with translation.override("it"):
        italian = ContactForm({"name": "", "code": "x"})
        assert not italian.is_valid()
    english = ContactForm({"name": "", "code": "x"})
    assert not english.is_valid()
    assert (italian.errors["name"], english.errors["name"]) == (["Compila il campo «name»."], ["Enter the name."])
