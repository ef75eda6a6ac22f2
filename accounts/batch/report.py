"""The import report: every reason a file cannot be imported, by row and column."""
from dataclasses import dataclass, field

from django.utils.translation import gettext, ngettext

from accounts.batch.rows import RowProblem

MAX_LISTED_PROBLEMS = 1000


@dataclass
class ImportReport:
    """What an import found (a dry run: the preview) or did (a commit).

    At most MAX_LISTED_PROBLEMS problems are kept, so a file of nothing but bad rows yields a
    report of bounded size; `problem_count` and `rows_with_problems` count them all.
    `file_problem` is set when the file could not be read to its end.
    """

    rows: int = 0
    imported: int = 0
    committed: bool = False
    file_problem: str = ""
    file_problem_line: int | None = None
    problems: list[RowProblem] = field(default_factory=list)
    problem_count: int = 0
    rows_with_problems: int = 0

    @property
    def ok(self) -> bool:
        return not self.file_problem and not self.problem_count

    @property
    def listed_all_problems(self) -> bool:
        return self.problem_count == len(self.problems)

    def add(self, problems: list[RowProblem]) -> None:
        if not problems:
            return
        self.rows_with_problems += 1
        self.problem_count += len(problems)
        room = MAX_LISTED_PROBLEMS - len(self.problems)
        if room > 0:
            self.problems.extend(problems[:room])

    def summary(self) -> str:
        if self.file_problem:
            if self.file_problem_line:
                return gettext("The file cannot be imported (line %(line)d): %(problem)s") % {
                    "line": self.file_problem_line, "problem": self.file_problem}
            return gettext("The file cannot be imported: %(problem)s") % {"problem": self.file_problem}
        if self.problem_count:
            problems = ngettext("%(count)d problem", "%(count)d problems", self.problem_count) % {"count": self.problem_count}
            return ngettext("%(bad)d of %(count)d row cannot be imported (%(problems)s). Nothing was written.",
                            "%(bad)d of %(count)d rows cannot be imported (%(problems)s). Nothing was written.",
                            self.rows) % {"bad": self.rows_with_problems, "count": self.rows, "problems": problems}
        if self.committed:
            return ngettext("%(count)d account imported.", "%(count)d accounts imported.", self.imported) % {
                "count": self.imported}
        return ngettext("All %(count)d row can be imported.", "All %(count)d rows can be imported.", self.rows) % {
            "count": self.rows}

    def to_json(self) -> dict:
        return {
            "rows": self.rows, "imported": self.imported, "committed": self.committed,
            "file_problem": self.file_problem, "file_problem_line": self.file_problem_line,
            "problems": [[p.line, p.column, p.message] for p in self.problems],
            "problem_count": self.problem_count, "rows_with_problems": self.rows_with_problems,
        }

    @classmethod
    def from_json(cls, data: dict | None) -> "ImportReport":
        data = data or {}
        return cls(
            rows=data.get("rows", 0), imported=data.get("imported", 0), committed=data.get("committed", False),
            file_problem=data.get("file_problem", ""), file_problem_line=data.get("file_problem_line"),
            problems=[RowProblem(line, column, message) for line, column, message in data.get("problems", [])],
            problem_count=data.get("problem_count", 0), rows_with_problems=data.get("rows_with_problems", 0),
        )
