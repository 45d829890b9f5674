#!/usr/bin/python3
# mutate_gen.py — lists the operator mutants of C++ sources for `moulinette mutate`, from clang's own
# view of the code (libclang: python3-clang-14), so nothing inside a string, a character, a comment or
# a preprocessor line is ever touched. Operators follow mull's catalogue:
#   relational/equality swaps, arithmetic, bitwise and logical operators, `!` removed, ++/-- swapped,
#   integer constants +-1, conditions negated, a statement (call / assignment) removed, a returned value
#   replaced. The variadic arguments of a printf-like call (what an error message says) are left
#   alone: the subjects fix codes, not the wording of messages. Prints a JSON array: {file, line, col, start, end, op, orig, repl} (byte offsets).
# usage: mutate_gen.py FILE [--root DIR] -- COMPILER-ARGS...
import json
import subprocess
import sys

import clang.cindex as ci

K = ci.CursorKind

RELATIONAL = {"<": ["<=", ">="], "<=": ["<", ">"], ">": [">=", "<="], ">=": [">", "<"], "==": ["!="], "!=": ["=="]}
ARITH = {"+": ["-"], "-": ["+"], "*": ["/"], "/": ["*"], "%": ["/"], "<<": [">>"], ">>": ["<<"], "&": ["|"], "|": ["&"],
         "^": ["&"], "&&": ["||"], "||": ["&&"]}
COMPOUND = {"+=": ["-="], "-=": ["+="], "*=": ["/="], "/=": ["*="], "%=": ["/="], "<<=": [">>="], ">>=": ["<<="],
            "&=": ["|="], "|=": ["&="], "^=": ["&="]}
REMOVABLE = {K.CALL_EXPR, K.BINARY_OPERATOR, K.COMPOUND_ASSIGNMENT_OPERATOR, K.UNARY_OPERATOR, K.UNEXPOSED_EXPR,
             K.CXX_DELETE_EXPR}


def main():
    args = sys.argv[1:]
    if "--" in args:
        cut = args.index("--")
        args, cargs = args[:cut], args[cut + 1:]
    else:
        cargs = []
    path = args[0]
    try:
        resource = subprocess.run(["clang++", "-print-resource-dir"], capture_output=True, text=True).stdout.strip()
        if resource:
            cargs = ["-resource-dir", resource] + cargs
    except OSError:
        pass
    index = ci.Index.create()
    tu = index.parse(path, args=["-x", "c++"] + cargs)
    errors = [d for d in tu.diagnostics if d.severity >= ci.Diagnostic.Error]
    if errors:
        for d in errors[:5]:
            sys.stderr.write("mutate_gen: %s\n" % d)
        sys.exit(1)
    with open(path, "rb") as f:
        src = f.read()
    out = []
    seen = set()
    skip = []  # byte ranges never mutated: the variadic arguments of printf-like calls (messages)

    def in_file(c):
        f = c.location.file
        return f is not None and f.name == path

    def add(start, end, repl, op, line=None, col=None):
        orig = src[start:end].decode("utf-8", "replace")
        if any(a <= start < b for a, b in skip):
            return
        if orig == repl or (start, end, repl) in seen:
            return
        seen.add((start, end, repl))
        if line is None:
            line = src.count(b"\n", 0, start) + 1
            col = start - (src.rfind(b"\n", 0, start) + 1) + 1
        out.append({"file": path, "line": line, "col": col, "start": start, "end": end, "op": op, "orig": orig,
                    "repl": repl})

    def tokens(c):
        return [t for t in c.get_tokens() if t.location.file is not None and t.location.file.name == path]

    def operator_token(c, lhs, rhs):
        for t in tokens(c):
            o = t.extent.start.offset
            if t.kind == ci.TokenKind.PUNCTUATION and lhs.extent.end.offset <= o < rhs.extent.start.offset:
                return t
        return None

    def swap_op(c, kids, table):
        if len(kids) != 2:
            return
        t = operator_token(c, kids[0], kids[1])
        if t is None or t.spelling not in table:
            return
        s = t.extent.start.offset
        for r in table[t.spelling]:
            add(s, s + len(t.spelling), r, "%s -> %s" % (t.spelling, r), t.location.line, t.location.column)

    def negate(expr, what):
        s, e = expr.extent.start.offset, expr.extent.end.offset
        if expr.extent.start.file is None or expr.extent.start.file.name != path or e <= s:
            return
        text = src[s:e].decode("utf-8", "replace")
        add(s, e, "!(" + text + ")", "negate " + what)

    def is_zero(e):
        # `return 0`, `return VC_OK` (an enumerator worth 0): replacing it by {} changes nothing.
        while e.kind == K.UNEXPOSED_EXPR and len(list(e.get_children())) == 1:
            e = list(e.get_children())[0]
        if e.kind == K.INTEGER_LITERAL:
            t = [x.spelling for x in e.get_tokens()]
            return t and t[0].rstrip("uUlL") in ("0", "0x0")
        if e.kind == K.DECL_REF_EXPR and e.referenced is not None and e.referenced.kind == K.ENUM_CONSTANT_DECL:
            return e.referenced.enum_value == 0
        return e.kind in (K.CXX_NULL_PTR_LITERAL_EXPR,)

    def statement_end(c):
        # The `;` that ends an expression statement: the first `;` token after the expression.
        e = c.extent.end.offset
        i = e
        while i < len(src) and src[i:i + 1] in b" \t\r\n":
            i += 1
        return i + 1 if src[i:i + 1] == b";" else None

    def visit(c, parent, func):
        if c.location.file is not None and not in_file(c):
            return
        kids = list(c.get_children())
        k = c.kind
        if k == K.CALL_EXPR and c.referenced is not None and c.referenced.type.kind == ci.TypeKind.FUNCTIONPROTO \
                and c.referenced.type.is_function_variadic():
            fixed = len(list(c.referenced.get_arguments()))
            for a in list(c.get_arguments())[fixed:]:
                skip.append((a.extent.start.offset, a.extent.end.offset))
        if k == K.BINARY_OPERATOR:
            swap_op(c, kids, RELATIONAL)
            swap_op(c, kids, ARITH)
        elif k == K.COMPOUND_ASSIGNMENT_OPERATOR:
            swap_op(c, kids, COMPOUND)
        elif k == K.CALL_EXPR and c.spelling[len("operator"):] in RELATIONAL and c.spelling.startswith("operator"):
            # An overloaded comparison (std::string <, iterator ==; C++20 may rewrite it through <=>):
            # the callee child's extent is the operator token itself.
            name = c.spelling[len("operator"):]
            for ch in kids:
                s0, e0 = ch.extent.start.offset, ch.extent.end.offset
                if ch.spelling == c.spelling and src[s0:e0].decode("utf-8", "replace") == name:
                    for r in RELATIONAL[name]:
                        add(s0, e0, r, "%s -> %s" % (name, r), ch.extent.start.line, ch.extent.start.column)
                    break
        elif k == K.UNARY_OPERATOR:
            toks = tokens(c)
            if toks:
                t0, tl = toks[0], toks[-1]
                if t0.spelling == "!" and t0.extent.start.offset == c.extent.start.offset:
                    s = t0.extent.start.offset
                    add(s, s + 1, "", "! removed", t0.location.line, t0.location.column)
                elif t0.spelling in ("++", "--") and t0.extent.start.offset == c.extent.start.offset:
                    s = t0.extent.start.offset
                    r = "--" if t0.spelling == "++" else "++"
                    add(s, s + 2, r, "%s -> %s" % (t0.spelling, r), t0.location.line, t0.location.column)
                elif tl.spelling in ("++", "--") and tl.extent.end.offset == c.extent.end.offset:
                    s = tl.extent.start.offset
                    r = "--" if tl.spelling == "++" else "++"
                    add(s, s + 2, r, "%s -> %s" % (tl.spelling, r), tl.location.line, tl.location.column)
                elif t0.spelling == "-" and t0.extent.start.offset == c.extent.start.offset:
                    s = t0.extent.start.offset
                    add(s, s + 1, "", "unary - removed", t0.location.line, t0.location.column)
        elif k == K.INTEGER_LITERAL:
            toks = tokens(c)
            if len(toks) == 1 and toks[0].kind == ci.TokenKind.LITERAL:
                text = toks[0].spelling
                digits = text.rstrip("uUlL")
                suffix = text[len(digits):]
                try:
                    v = int(digits, 0) if not (len(digits) > 1 and digits[0] == "0" and digits[1].isdigit()) else int(digits, 8)
                except ValueError:
                    v = None
                if v is not None and "'" not in digits:
                    s = toks[0].extent.start.offset
                    e = s + len(text)
                    add(s, e, str(v + 1) + suffix, "%s -> %d" % (text, v + 1), toks[0].location.line, toks[0].location.column)
                    if v > 0:
                        add(s, e, str(v - 1) + suffix, "%s -> %d" % (text, v - 1), toks[0].location.line, toks[0].location.column)
        elif k in (K.IF_STMT, K.WHILE_STMT, K.DO_STMT):
            cond = None
            if k == K.DO_STMT and len(kids) >= 2:
                cond = kids[1]
            elif k != K.DO_STMT and kids:
                cond = kids[0]
            if cond is not None and cond.kind != K.DECL_STMT and cond.kind != K.VAR_DECL:
                negate(cond, "condition (%s)" % {K.IF_STMT: "if", K.WHILE_STMT: "while", K.DO_STMT: "do"}[k])
        elif k == K.FOR_STMT:
            # for (init; cond; inc): the condition is the text between the two top-level `;`.
            toks = tokens(c)
            depth, semis, lp = 0, [], None
            for t in toks:
                if t.spelling == "(":
                    depth += 1
                    if lp is None:
                        lp = t
                elif t.spelling == ")":
                    depth -= 1
                    if depth == 0:
                        break
                elif t.spelling == ";" and depth == 1:
                    semis.append(t)
            if len(semis) == 2:
                s, e = semis[0].extent.end.offset, semis[1].extent.start.offset
                text = src[s:e].decode("utf-8", "replace").strip()
                if text:
                    s2 = s + src[s:e].decode("utf-8", "replace").index(text[0])
                    add(s2, s2 + len(text.encode()), "!(" + text + ")", "negate condition (for)")
        elif k == K.CONDITIONAL_OPERATOR and len(kids) == 3:
            negate(kids[0], "condition (?:)")
        elif k == K.RETURN_STMT and kids:
            f = func
            if f is not None and f.kind in (K.FUNCTION_DECL, K.CXX_METHOD):
                rt = f.result_type.get_canonical()
                e = kids[0]
                s, end = e.extent.start.offset, e.extent.end.offset
                if e.extent.start.file is not None and e.extent.start.file.name == path and end > s:
                    if rt.kind == ci.TypeKind.BOOL:
                        for r in ("true", "false"):
                            add(s, end, r, "return -> %s" % r)
                    elif rt.kind != ci.TypeKind.VOID and not is_zero(e):
                        add(s, end, "{}", "return -> {}")
        # A statement removed: an expression statement directly in a block, or the body of an
        # if/else/loop/case, that is a call, an assignment or an increment.
        if parent is not None and parent.kind in (K.COMPOUND_STMT, K.IF_STMT, K.FOR_STMT, K.WHILE_STMT, K.CASE_STMT,
                                                  K.DEFAULT_STMT, K.CXX_FOR_RANGE_STMT) and k in REMOVABLE:
            is_cond = parent.kind in (K.IF_STMT, K.WHILE_STMT) and list(parent.get_children())[0] == c
            assign = k not in (K.BINARY_OPERATOR,) or any(t.spelling == "=" for t in tokens(c)[:0] or [])
            if k == K.BINARY_OPERATOR:
                kk = list(c.get_children())
                t = operator_token(c, kk[0], kk[1]) if len(kk) == 2 else None
                assign = t is not None and t.spelling == "="
            if k == K.UNARY_OPERATOR:
                toks = tokens(c)
                assign = bool(toks) and (toks[0].spelling in ("++", "--") or toks[-1].spelling in ("++", "--"))
            if not is_cond and assign and parent.kind != K.FOR_STMT:
                end = statement_end(c)
                if end is not None and c.extent.start.file is not None and c.extent.start.file.name == path:
                    s = c.extent.start.offset
                    add(s, end, "{}", "statement removed")
        if k in (K.FUNCTION_DECL, K.CXX_METHOD, K.LAMBDA_EXPR, K.CONSTRUCTOR, K.DESTRUCTOR):
            func = c
        for ch in kids:
            visit(ch, c, func)

    for c in tu.cursor.get_children():
        if in_file(c):
            visit(c, None, None)
    out.sort(key=lambda m: (m["start"], m["end"], m["repl"]))
    json.dump(out, sys.stdout, indent=0)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
