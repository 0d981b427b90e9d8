"""Rosters as the platforms export them, read from their bytes.

The rule first:

- **Encoding**: a UTF-16 byte-order mark (Excel's "Unicode Text") or NUL bytes in every other
  place mean UTF-16; a UTF-8 byte-order mark is dropped; anything else must be UTF-8.
- **Delimiter**: of ``,`` ``;`` and tab, the one the header row has most of outside quotes
  (Excel in a locale with a decimal comma writes ``;``; "Unicode Text" writes tabs).
- **Platform**, from the header row:

  - *Canvas* gradebook export: ``Student``, ``ID`` and ``SIS User ID`` or ``SIS Login ID``.
    Rows that are not students are skipped: the ``Points Possible`` row, the rows with
    neither a name nor an ``ID`` (``Muted``, ``Manual Posting``) and Canvas's ``Student, Test``
    account. The id is the ``SIS User ID`` when every student has one, else Canvas's ``ID``.
  - *Gradescope* roster export: ``Email``, ``SID`` and ``Role`` (or, as some downloads and
    rosters made for its upload have them, no ``Role`` but the names); with a ``Role`` column
    only rows whose role is ``Student``. The id is the ``SID`` when every student has one, else
    the ``Email``.
  - *Moodle* participants or grades export: ``Email address`` with ``First name`` (or
    ``Full name``), in the language of the Moodle that wrote it (:data:`MOODLE_WORDS`: the
    headers are its language pack's strings); when there is a ``Roles`` column, only rows whose
    roles include the student role's name. The id is the ``ID number`` when every student has
    one, else the ``Email address``.
  - anything else is a plain roster: the first of ``id``, ``student_id``, ``Student ID``,
    ``SID``, ``SIS User ID`` (header names compared without case, ``_`` read as a space).

Every entry keeps the row as the platform wrote it (``fields``), so that what is written back
(:mod:`grader.platforms.exports`) carries the platform's own ids.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import BackpropError
from ..generator import Student

PLAIN_ID_COLUMNS = ("id", "student_id", "Student ID", "SID", "SIS User ID")
NAME_COLUMNS = ("name", "Student", "Full name", "Name")
EMAIL_COLUMNS = ("email", "Email address", "E-mail")
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]*\Z")
DELIMITERS = (",", ";", "\t")

#: Moodle writes its column headers in the user's language: the strings of Moodle's language
#: packs (lang/<code>/moodle.php: firstname, lastname, fullname, idnumber, email, roles,
#: defaultcoursestudent; grades.php: real, the "(Real)" of a grade column), as read from
#: github.com/projectestac/moodle-langpacks (copies of the AMOS packs), for English, German,
#: French, Spanish, Italian, Portuguese, Dutch and Catalan.
MOODLE_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {"first": ("First name",), "last": ("Last name", "Surname"), "full": ("Full name",),
           "idnumber": ("ID number",), "email": ("Email address",), "roles": ("Roles",),
           "student": ("Student",), "real": ("Real",)},
    "de": {"first": ("Vorname",), "last": ("Nachname",), "full": ("Vollständiger Name",),
           "idnumber": ("ID-Nummer",), "email": ("E-Mail-Adresse",), "roles": ("Rollen",),
           "student": ("Teilnehmer/in", "Student"), "real": ("Punkte",)},
    "fr": {"first": ("Prénom",), "last": ("Nom de famille",), "full": ("Nom complet",),
           "idnumber": ("Numéro d’identification", "Numéro d'identification"),
           "email": ("Adresse de courriel",), "roles": ("Rôles",), "student": ("Étudiant",),
           "real": ("Brut",)},
    "es": {"first": ("Nombre",), "last": ("Apellido(s)",), "full": ("Nombre completo",),
           "idnumber": ("Número de ID",), "email": ("Dirección de correo",), "roles": ("Roles",),
           "student": ("Estudiante",), "real": ("Real",)},
    "it": {"first": ("Nome",), "last": ("Cognome",), "full": (),  # (its full name is "Nome" too)
           "idnumber": ("Codice identificativo",), "email": ("Indirizzo email",), "roles": ("Ruoli",),
           "student": ("Studente",), "real": ("Punteggio",)},
    "pt": {"first": ("Nome",), "last": ("Apelido",), "full": ("Nome completo",),
           "idnumber": ("Número de identificação (ID)",), "email": ("E-mail",),
           "roles": ("Papéis atribuídos", "Papéis"), "student": ("Aluno", "Estudante"), "real": ("Real",)},
    "nl": {"first": ("Voornaam",), "last": ("Achternaam",), "full": ("Volledige naam",),
           "idnumber": ("Nummer (ID)",), "email": ("E-mailadres",), "roles": ("Rollen",),
           "student": ("Leerling", "Student"), "real": ("Reëel",)},
    "ca": {"first": ("Nom",), "last": ("Cognoms",), "full": ("Nom complet",),
           "idnumber": ("Número ID",), "email": ("Adreça electrònica",), "roles": ("Rols",),
           "student": ("Estudiant",), "real": ("Real",)},
}


@dataclass(frozen=True)
class RosterEntry:
    student: Student
    line: int  # the row of the file (1: the header)
    fields: Mapping[str, str]  # the row, column -> cell, as the platform wrote it


@dataclass(frozen=True)
class PlatformRoster:
    platform: str  # "canvas" | "gradescope" | "moodle" | "csv"
    id_column: str
    header: tuple[str, ...]
    delimiter: str
    entries: tuple[RosterEntry, ...]
    skipped: tuple[str, ...]  # "row 2: Canvas's Points Possible row", ...

    @property
    def students(self) -> tuple[Student, ...]:
        return tuple(e.student for e in self.entries)

    def by_id(self) -> dict[str, RosterEntry]:
        return {e.student.id: e for e in self.entries}


def decode(data: bytes, path: str) -> str:
    """The text of a roster file (see the module's rule)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif len(data) >= 4 and data[1::2][:64].count(0) > 16 and b"\x00" not in data[0::2][:64]:
        encoding = "utf-16-le"
    elif len(data) >= 4 and data[0::2][:64].count(0) > 16 and b"\x00" not in data[1::2][:64]:
        encoding = "utf-16-be"
    else:
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise BackpropError(f"{path}: is not UTF-8 or UTF-16 text (line {line}, byte {exc.start}); "
                            "save it as CSV UTF-8") from None
    if "\x00" in text:
        raise BackpropError(f"{path}: is a binary file, not a CSV roster; give the roster exported as CSV")
    return text


def sniff_delimiter(text: str) -> str:
    """The delimiter the header row has most of outside quotes (``,`` on a tie or none)."""
    header, quoted = [], False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "\r\n":
            break
        elif not quoted:
            header.append(ch)
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # (max keeps the first of equals: ",")
    return best if counts[best] else ","


def parse_roster(data: bytes, path: str) -> PlatformRoster:
    """The students of a roster file, from its bytes; errors name the row and the fix."""
    text = decode(data, path)
    delimiter = sniff_delimiter(text)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise BackpropError(f"{path}: is not a readable CSV file ({exc})") from None
    numbered = [(n, r) for n, r in enumerate(rows, start=1) if any(cell.strip() for cell in r)]
    if not numbered:
        raise BackpropError(
            f"{path}: is empty; give a CSV with a header row (id,name,email) and a row per student")
    header = tuple(h.strip() for h in numbered[0][1])
    platform = detect(header)
    records = [(n, {h: (r[i].strip() if i < len(r) else "") for i, h in enumerate(header) if h})
               for n, r in numbered[1:]]
    kept, skipped = _students_only(platform, header, records)
    id_column = _id_column(platform, header, kept, path)
    name_of = _namer(header)
    email_column = moodle_column(header, "email") or _column(header, EMAIL_COLUMNS + ("Email",))
    entries: list[RosterEntry] = []
    seen: dict[str, int] = {}
    for line, rec in kept:
        cell = rec.get(id_column, "")
        if not cell:
            raise BackpropError(
                f"{path}: row {line}: the {id_column!r} column is empty; every student needs an id")
        if not SAFE_ID.match(cell):
            raise BackpropError(
                f"{path}: row {line}: student id {cell!r} cannot be a file name; "
                "use letters, digits and . _ @ + -"
            )
        if cell in seen:
            raise BackpropError(
                f"{path}: row {line}: student id {cell!r} is already on row {seen[cell]}; ids must be unique")
        seen[cell] = line
        email = rec.get(email_column, "") if email_column else ""
        entries.append(RosterEntry(Student(cell, name_of(rec), email), line, rec))
    if not entries:
        raise BackpropError(f"{path}: has a header row but no students")
    return PlatformRoster(platform, id_column, header, delimiter, tuple(entries), tuple(skipped))


def detect(header: Sequence[str]) -> str:
    """Which platform wrote a file with this header row (``csv``: none of them)."""
    has = {_norm(h) for h in header}
    if {"student", "id"} <= has and has & {"sis user id", "sis login id"}:
        return "canvas"
    if {"email", "sid"} <= has and ("role" in has or (has & {"first name", "full name", "name"}
                                                      and not has & {"id", "student id"})):
        return "gradescope"
    if moodle_language(header):
        return "moodle"
    return "csv"


def moodle_language(header: Sequence[str]) -> str | None:
    """The language of a Moodle export's header row: the first whose email column and first
    (or full) name column it has; None for a file Moodle did not write."""
    has = {_norm(h) for h in header}
    for code, words in MOODLE_WORDS.items():
        emails = {_norm(w) for w in words["email"]}
        names = {_norm(w) for w in words["first"] + words["full"]}
        if has & emails and has & names:
            return code
    return None


def moodle_column(header: Sequence[str], word: str) -> str | None:
    """The header's spelling of Moodle's column ``word`` (``first``, ``idnumber``, ...), in the
    export's language."""
    code = moodle_language(header)
    return _column(header, MOODLE_WORDS[code][word]) if code else None


def _students_only(platform: str, header: Sequence[str], records: list[tuple[int, dict[str, str]]]
                   ) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    kept, skipped = [], []
    for line, rec in records:
        why = _not_a_student(platform, header, rec)
        if why:
            skipped.append(f"row {line}: {why}")
        else:
            kept.append((line, rec))
    return kept, skipped


def _not_a_student(platform: str, header: Sequence[str], rec: Mapping[str, str]) -> str:
    if platform == "canvas":
        name = rec.get(_column(header, ("Student",)) or "", "")
        cid = rec.get(_column(header, ("ID",)) or "", "")
        if name == "Points Possible":
            return "Canvas's Points Possible row"
        if not name and not cid:
            label = next((v for v in rec.values() if v), "")
            return f"Canvas's {label} row" if label else "a row with neither a name nor an ID"
        if name in ("Student, Test", "Test Student"):
            return "Canvas's test student"
    elif platform == "gradescope" and _column(header, ("Role",)):
        role = rec.get(_column(header, ("Role",)) or "", "")
        if role.lower() != "student":
            return f"role {role or '(none)'}, not Student"
    elif platform == "moodle":
        code = moodle_language(header) or "en"
        roles_column = _column(header, MOODLE_WORDS[code]["roles"] + ("Roles", "Role"))
        names = MOODLE_WORDS[code]["student"]
        roles = rec.get(roles_column or "", "").casefold()
        if roles_column and not any(n.casefold() in roles for n in names):
            return f"roles {rec.get(roles_column) or '(none)'}, not {names[0]}"
    return ""


_PREFERRED = {"canvas": ("SIS User ID", "ID"), "gradescope": ("SID", "Email")}


def _id_column(platform: str, header: Sequence[str], kept: list[tuple[int, dict[str, str]]],
               path: str) -> str:
    first = fallback = None
    if platform == "moodle":
        first, fallback = moodle_column(header, "idnumber"), moodle_column(header, "email")
    elif platform in _PREFERRED:
        first, fallback = (_column(header, (c,)) for c in _PREFERRED[platform])
    if first and all(rec.get(first) for _, rec in kept):
        return first
    if fallback:
        return fallback
    column = _column(header, PLAIN_ID_COLUMNS)
    if column is None:
        raise BackpropError(
            f"{path}: no student id column; name one column "
            f"{', '.join(repr(c) for c in PLAIN_ID_COLUMNS)} in the header row "
            "(or give the roster as Canvas, Gradescope or Moodle export it)"
        )
    return column


def _namer(header: Sequence[str]):
    full = _column(header, NAME_COLUMNS) or moodle_column(header, "full")
    first = moodle_column(header, "first") or _column(header, ("First Name",))
    last = moodle_column(header, "last") or _column(header, ("Last Name", "Surname"))

    def name(rec: Mapping[str, str]) -> str:
        if full:
            return rec.get(full, "")
        return " ".join(p for p in (rec.get(first or "", ""), rec.get(last or "", "")) if p)

    return name


def _norm(h: str) -> str:
    return " ".join(h.replace("_", " ").lower().split())


def _column(header: Sequence[str], wanted: Sequence[str]) -> str | None:
    """The header's spelling of the first of ``wanted`` it has (compared as :func:`_norm`)."""
    spelled = {}
    for h in header:
        spelled.setdefault(_norm(h), h)
    for w in wanted:
        if _norm(w) in spelled:
            return spelled[_norm(w)]
    return None
