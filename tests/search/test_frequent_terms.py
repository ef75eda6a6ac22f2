"""Words many accounts share are frequent terms: multi-term queries take their documents from
the lexicon saved beside the index (see accounts/search/engine/lexicon_files.py)."""
from tests.search.conftest import usernames_matching


def test_a_leading_wildcard_finds_a_word_many_accounts_share(book):
    """A word in more than two accounts is a frequent term: its documents come from the saved
    lexicon, through the forward spelling for the reversed field that answers `*ssi`."""
    from tests.search.conftest import create_account

    for number in range(3):
        create_account(book.support, f"30000{number}", f"+4144000000{number}", owner="Paola Rossi")
    rossi_owners = ["100001", "100002", "300000", "300001", "300002"]
    assert usernames_matching("owner:*ssi") == rossi_owners
    assert usernames_matching("owner:*oss?") == rossi_owners
    assert usernames_matching("owner:ross*") == sorted(rossi_owners + ["100005"])
