"""axe-core (vendored in axe/, never served by the console) run in a Playwright page."""
from pathlib import Path

AXE_SCRIPT = Path(__file__).parent / "axe" / "axe.min.js"
# Impacts that fail a test: axe's "minor" findings are reported by Lighthouse, not here.
FAILING_IMPACTS = ("moderate", "serious", "critical")


def axe_violations(page) -> list[str]:
    """One line per violation of impact moderate or above on the page as it is now: the rule, its
    impact, and the first elements it names. The page's context must bypass the CSP, which
    forbids the injected script."""
    page.add_script_tag(path=str(AXE_SCRIPT))
    violations = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + "; ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
        for violation in violations if violation["impact"] in FAILING_IMPACTS
    ]
