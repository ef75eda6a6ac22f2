"""Every catalogue is complete: no entry empty or fuzzy, and nothing marked for translation in the
code or the templates is missing from it (run by .ci/run after the catalogues are compiled)."""
import pytest

from tests.i18n.catalogues import (
    CATALOGUES,
    entries_matching,
    extracted_msgids,
    gettext_tool,
    msgids,
)

LANGUAGES = [pytest.param(path, id=path.parts[-3]) for path in CATALOGUES]


def test_every_language_but_english_has_a_catalogue(settings):
    translated = {code for code, _ in settings.LANGUAGES if not code.startswith("en")}
    assert translated and {path.parts[-3] for path in CATALOGUES} >= translated


@pytest.mark.parametrize("catalogue", LANGUAGES)
def test_a_catalogue_compiles_without_errors_and_has_no_empty_or_fuzzy_entry(catalogue):
    statistics = gettext_tool("msgfmt", "--check", "--statistics", "--output-file=/dev/null", str(catalogue))
    assert "fuzzy" not in statistics and "untranslated" not in statistics, statistics
    assert entries_matching(catalogue, "--only-fuzzy") == []
    assert entries_matching(catalogue, "--untranslated") == []


@pytest.mark.parametrize("catalogue", LANGUAGES)
def test_a_catalogue_holds_every_string_makemessages_finds(catalogue, tmp_path):
    missing = extracted_msgids(tmp_path / "source", catalogue.parts[-3]) - msgids(catalogue)
    assert not missing, "marked for translation but not in the catalogue (run makemessages, then translate):\n" + "\n".join(sorted(missing))
