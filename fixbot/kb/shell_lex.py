"""A small, forgiving lexer that splits bash/pwsh ``run:`` bodies into simple commands.

It is not a shell. It knows enough to find the commands a script runs: comments, quotes,
backslash (and pwsh backtick) line continuations, ``;``/``&&``/``||``/``|``/``&`` chains,
subshells and ``$(...)``/backtick substitutions (whose insides become commands of their own),
redirections, and here-documents (whose bodies are data, unless fed to a shell).
``${{ ... }}`` expressions are swapped for placeholder words first; :func:`restore` puts the
original text back into a word.
"""

from __future__ import annotations

import re

_EXPR = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
_PLACEHOLDER = re.compile(r"__FIXBOT_EXPR_(\d+)__")
_HEREDOC = re.compile(r"<<(-?)\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\2")
_SHELL_FED = re.compile(r"(?:^|[;&|(\s])(?:bash|sh|zsh|dash)(?:\s+-[a-z]+)*\s*<<")

_OPERATORS = set(";&|()\n")
_KEYWORDS = frozenset({"if", "elif", "while", "until", "then", "do", "else", "!"})
_ARRAY_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\[[^]]*\])?\+?=$")


class Lexed:
    """Commands of a script, and the expressions that were swapped out of it."""

    def __init__(self, commands: list[list[str]], exprs: list[str]) -> None:
        self.commands = commands
        self.exprs = exprs

    def restore(self, word: str) -> str:
        return _PLACEHOLDER.sub(lambda m: self.exprs[int(m.group(1))], word)


def _strip_heredocs(text: str) -> str:
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        i += 1
        code = line.split(" #", 1)[0]
        m = _HEREDOC.search(code)
        if m is None or code.lstrip().startswith("#"):
            continue
        delim, dash = m.group(3), m.group(1) == "-"
        keep = _SHELL_FED.search(code[: m.start() + 2]) is not None
        while i < len(lines):
            body = lines[i]
            i += 1
            if (body.lstrip("\t") if dash else body).strip() == delim:
                break
            if keep:
                out.append(body)
    return "\n".join(out)


def _matching_paren(text: str, start: int) -> int:
    """Index of the ``)`` closing the ``(`` at ``start`` (quote-aware), or len(text)."""
    depth = 0
    i = start
    quote = ""
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 2
                continue
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c == "\\":
            i += 2
            continue
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return len(text)


def _substitutions(text: str, commands: list[list[str]]) -> None:
    """Lex only the ``$(...)``/backtick substitutions of a data text (array items, arithmetic)."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "'":
            j = text.find("'", i + 1)
            i = n if j < 0 else j + 1
        elif c == "\\":
            i += 2
        elif text.startswith("$(", i) and not text.startswith("$((", i):
            k = _matching_paren(text, i + 1)
            _lex(text[i + 2 : k], commands)
            i = k + 1
        elif c == "`":
            j = text.find("`", i + 1)
            j = n if j < 0 else j
            _lex(text[i + 1 : j], commands)
            i = j + 1
        else:
            i += 1


def _lex(text: str, commands: list[list[str]]) -> None:
    words: list[str] = []
    buf: list[str] = []
    in_word = False
    skip_next = False  # the next word is a redirection target
    in_case = 0  # open `case ... esac` blocks
    expect_pattern = False  # the next `)` closes a case pattern, which is data
    i, n = 0, len(text)

    def end_word() -> None:
        nonlocal buf, in_word, skip_next
        if in_word:
            if skip_next:
                skip_next = False
            else:
                words.append("".join(buf))
        buf, in_word = [], False

    def end_command() -> None:
        nonlocal words, in_case, expect_pattern
        end_word()
        if words:
            if words[0] == "case" and words[-1] == "in":
                in_case += 1
                expect_pattern = True
            elif words[0] == "esac":
                in_case = max(0, in_case - 1)
                expect_pattern = False
                words = words[1:]
            if words:
                commands.append(words)
        words = []

    while i < n:
        c = text[i]
        if c in " \t\r":
            end_word()
            i += 1
        elif c in "\\`" and i + 1 < n and text[i + 1] == "\n":
            i += 2  # line continuation (bash backslash, pwsh backtick)
        elif c == "\\" and i + 2 < n and text[i + 1] == "\r" and text[i + 2] == "\n":
            i += 3
        elif c == "#" and not in_word:
            while i < n and text[i] != "\n":
                i += 1
        elif c == "'":
            j = text.find("'", i + 1)
            j = n if j < 0 else j
            buf.append(text[i + 1 : j])
            in_word = True
            i = j + 1
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n:
                    buf.append(text[j + 1])
                    j += 2
                    continue
                if text.startswith("$((", j):
                    k = _matching_paren(text, j + 1)
                    _substitutions(text[j + 3 : k - 1], commands)
                    buf.append("$((...))")
                    j = k + 1
                    continue
                if text.startswith("$(", j):
                    k = _matching_paren(text, j + 1)
                    _lex(text[j + 2 : k], commands)
                    buf.append("$(...)")
                    j = k + 1
                    continue
                buf.append(text[j])
                j += 1
            in_word = True
            i = j + 1
        elif c == "\\" and i + 1 < n:
            buf.append(text[i + 1])
            in_word = True
            i += 2
        elif text.startswith("$((", i) or (c == "(" and not in_word and text.startswith("((", i)
                                            and all(w in _KEYWORDS for w in words)):
            # arithmetic: $((...)) is a word, ((...)) a command; neither runs a program
            start = i + 1 if c == "$" else i
            k = _matching_paren(text, start)
            _substitutions(text[start + 2 : k - 1], commands)
            if c == "$":
                buf.append("$((...))")
                in_word = True
            i = k + 1
        elif c == "(" and in_word and _ARRAY_ASSIGN.match("".join(buf)):
            # an array assignment: name=(item ...) holds data, not a command
            k = _matching_paren(text, i)
            _substitutions(text[i + 1 : k], commands)
            buf.append("(...)")
            i = k + 1
        elif c == "|" and expect_pattern and in_case and not text.startswith("||", i):
            end_word()  # alternatives of a case pattern
            i += 1
        elif c == ")" and (expect_pattern and in_case or words[:1] == ["case"] and "in" in words):
            # the end of a case pattern (`a|b)`, `*)`): the words before it are data
            end_word()
            if words[:1] == ["case"] and "in" in words:
                words = words[: words.index("in") + 1]
                end_command()
            buf, in_word, words = [], False, []
            expect_pattern = False
            i += 1
        elif c == ";" and text.startswith(";;", i):
            end_command()
            expect_pattern = in_case > 0
            i += 3 if text.startswith(";;&", i) else 2
        elif c == "$" and text.startswith("$(", i) or c in "<>" and text.startswith("(", i + 1):
            k = _matching_paren(text, i + 1)
            _lex(text[i + 2 : k], commands)
            buf.append("$(...)")
            in_word = True
            i = k + 1
        elif c == "`":
            j = text.find("`", i + 1)
            j = n if j < 0 else j
            _lex(text[i + 1 : j], commands)
            buf.append("$(...)")
            in_word = True
            i = j + 1
        elif c in "<>" or (c == "&" and text.startswith(">", i + 1)):
            if in_word and "".join(buf).isdigit():
                buf, in_word = [], False
            end_word()
            j = i
            while j < n and text[j] in "<>&|":
                j += 1
            op = text[i:j]
            if op.endswith("&") and j < n and (text[j].isdigit() or text[j] == "-"):
                j += 1  # 2>&1, >&-
            else:
                skip_next = True
            i = j
        elif c in _OPERATORS:
            end_command()
            i += 1
        else:
            buf.append(c)
            in_word = True
            i += 1
    end_command()


def lex(script: str) -> Lexed:
    exprs: list[str] = []

    def swap(m: re.Match[str]) -> str:
        exprs.append(m.group(0))
        return f"__FIXBOT_EXPR_{len(exprs) - 1}__"

    text = _EXPR.sub(swap, script.replace("\r\n", "\n"))
    text = _strip_heredocs(text)
    commands: list[list[str]] = []
    _lex(text, commands)
    return Lexed(commands, exprs)
