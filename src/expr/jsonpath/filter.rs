//! Filters: the filter compiler (Jayway's `FilterCompiler`) and their evaluation
//! (Jayway's `ValueNode` evaluators).

use super::*;
use crate::json::Value;
use fancy_regex::RegexBuilder;
use std::borrow::Cow;
use std::cmp::Ordering;

/// Compile `[?(...)]`.
pub(super) fn compile_filter(criteria: &[char], depth: usize) -> Result<Expr, String> {
    let whole = text(criteria);
    let s = java_trim(&whole);
    let quoted = excerpt(criteria);
    let inner = s
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .ok_or_else(|| format!("Filter must start with '[' and end with ']'. {quoted}"))?;
    let inner = java_trim(inner)
        .strip_prefix('?')
        .ok_or_else(|| format!("Filter must start with '[?' and end with ']'. {quoted}"))?;
    let inner = java_trim(inner);
    if !inner.starts_with('(') || !inner.ends_with(')') {
        return Err(format!(
            "Filter must start with '[?(' and end with ')]'. {quoted}"
        ));
    }
    let chars: Vec<char> = inner.chars().collect();
    FilterParser {
        s: &chars,
        pos: 0,
        depth,
    }
    .compile()
}

#[derive(Clone, Copy)]
pub(super) enum Logic {
    And,
    Or,
}

pub(super) struct FilterParser<'s> {
    pub(super) s: &'s [char],
    pub(super) pos: usize,
    pub(super) depth: usize,
}

impl FilterParser<'_> {
    pub(super) fn current(&self) -> Option<char> {
        self.s.get(self.pos).copied()
    }

    pub(super) fn skip_blanks(&mut self) {
        while self.current() == Some(' ') {
            self.pos += 1;
        }
    }

    pub(super) fn whole(&self) -> String {
        excerpt(self.s)
    }

    /// Jayway's stack machine: operators are only applied at a `)`, right to left.
    pub(super) fn compile(mut self) -> Result<Expr, String> {
        let mut ops: Vec<Logic> = Vec::new();
        let mut exprs: Vec<Expr> = Vec::new();
        let mut unbalanced: i64 = 0;
        let unexpected = || "Failed to parse filter: unexpected end of expression".to_string();
        loop {
            self.skip_blanks();
            let Some(c) = self.current() else { break };
            let start = self.pos;
            match c {
                '(' => {
                    unbalanced += 1;
                    self.pos += 1;
                }
                ')' => {
                    unbalanced -= 1;
                    self.pos += 1;
                    let mut expr = exprs.pop().ok_or_else(unexpected)?;
                    if let Some(op) = ops.pop() {
                        let right = exprs.pop().ok_or_else(|| {
                            "Expected expression on right hand side of operator".to_string()
                        })?;
                        expr = combine(expr, op, right)?;
                        while let Some(op) = ops.pop() {
                            let left = exprs.pop().ok_or_else(unexpected)?;
                            expr = combine(expr, op, left)?;
                        }
                    }
                    exprs.push(expr);
                }
                '!' => self.pos += 1,
                '|' | '&' => ops.push(self.read_logical()?),
                _ => {
                    let expr = self.read_expression()?;
                    exprs.push(expr);
                }
            }
            if self.pos <= start {
                return Err(format!("Failed to parse filter {}", self.whole()));
            }
        }
        if unbalanced != 0 {
            return Err(format!(
                "Failed to parse filter. Brackets are not balanced. {}",
                self.whole()
            ));
        }
        exprs.pop().ok_or_else(unexpected)
    }

    pub(super) fn read_logical(&mut self) -> Result<Logic, String> {
        self.skip_blanks();
        let op: String = self.s.iter().skip(self.pos).take(2).collect();
        let logic = match op.as_str() {
            "&&" => Logic::And,
            "||" => Logic::Or,
            _ if op.len() < 2 => return Err("Expected boolean literal".to_string()),
            _ => return Err("Expected logical operator".to_string()),
        };
        self.pos += 2;
        Ok(logic)
    }

    pub(super) fn read_expression(&mut self) -> Result<Expr, String> {
        let (left, negated) = self.read_operand()?;
        if self.expression_is_terminated()? {
            let Operand::Path(path) = left else {
                return Err("Expected path node".to_string());
            };
            return Ok(Expr::Rel(Box::new(Relation {
                left: Operand::Exists(path),
                op: Op::Exists,
                right: Operand::Lit(Lit::Bool(!negated)),
            })));
        }
        let op = self.read_operator()?;
        let (right, _) = self.read_operand()?;
        Ok(Expr::Rel(Box::new(Relation { left, op, right })))
    }

    /// After an operand: true when a `)`, `&` or `|` comes (an existence check).
    pub(super) fn expression_is_terminated(&self) -> Result<bool, String> {
        let terminator = |c: char| matches!(c, ')' | '&' | '|');
        let c = self
            .current()
            .ok_or_else(|| format!("Failed to parse filter {}: unexpected end", self.whole()))?;
        if terminator(c) {
            return Ok(true);
        }
        Ok(next_significant(self.s, self.pos).is_some_and(|i| terminator(self.s[i])))
    }

    pub(super) fn read_operator(&mut self) -> Result<Op, String> {
        self.skip_blanks();
        let begin = self.pos;
        if self.current().is_some_and(is_relational_char) {
            while self.current().is_some_and(is_relational_char) {
                self.pos += 1;
            }
        } else {
            while self.current().is_some_and(|c| c != ' ') {
                self.pos += 1;
            }
        }
        let op = text(&self.s[begin..self.pos]);
        Op::parse(&op)
            .ok_or_else(|| format!("Filter operator {} is not supported!", excerpt_str(&op)))
    }

    /// An operand, and whether a `!` preceded it.
    pub(super) fn read_operand(&mut self) -> Result<(Operand, bool), String> {
        self.skip_blanks();
        match self.current() {
            Some('$' | '@') => self.read_path(),
            _ => Ok((Operand::Lit(self.read_literal()?), false)),
        }
    }

    pub(super) fn read_path(&mut self) -> Result<(Operand, bool), String> {
        let negated = self.s[..self.pos]
            .iter()
            .rev()
            .find(|&&c| c != ' ')
            .is_some_and(|&c| c == '!');
        let begin = self.pos;
        self.pos += 1;
        while self.pos < self.s.len() {
            if self.s[self.pos] == '[' {
                let close = self.s[self.pos..]
                    .iter()
                    .position(|&c| c == ']')
                    .ok_or_else(|| {
                        format!("Square brackets does not match in filter {}", self.whole())
                    })?;
                self.pos += close + 1;
            }
            let Some(c) = self.current() else { break };
            let closing_function = c == ')' && self.closes_function(begin);
            if is_relational_char(c) || c == ' ' || (c == ')' && !closing_function) {
                break;
            }
            self.pos += 1;
        }
        let path_chars: Vec<char> = java_trim(&text(&self.s[begin..self.pos])).chars().collect();
        let segments = compile_path(&path_chars, self.depth)?;
        let path = SubPath {
            relative: path_chars.first() == Some(&'@'),
            body: Body::new(segments),
        };
        Ok((Operand::Path(path), negated))
    }

    /// Whether the `)` at the current position closes `name()` within the path at `begin`.
    pub(super) fn closes_function(&self, begin: usize) -> bool {
        let Some(open) = self.s[..self.pos].iter().rposition(|&c| c != ' ') else {
            return false;
        };
        self.s[open] == '(' && self.s[begin + 1..open].contains(&'.')
    }

    pub(super) fn read_literal(&mut self) -> Result<Lit, String> {
        self.skip_blanks();
        let begin = self.pos;
        match self.current() {
            Some(q @ ('\'' | '"')) => {
                let close = next_unescaped(self.s, begin, q).ok_or_else(|| {
                    format!("String not closed. Expected {q} in {}", self.whole())
                })?;
                self.pos = close + 1;
                Ok(Lit::Str(java_unescape(&self.s[begin + 1..close])?))
            }
            Some(open @ ('{' | '[')) => {
                let close_char = if open == '{' { '}' } else { ']' };
                let close = matching_close(self.s, begin, open, close_char, false)?
                    .ok_or_else(|| format!("String not closed. Expected ' in {}", self.whole()))?;
                self.pos = close + 1;
                let value = JsonLiteral {
                    s: &self.s[begin..=close],
                    pos: 0,
                }
                .parse()?;
                Ok(Lit::Json(value))
            }
            Some('/') => {
                let mut close = next_unescaped(self.s, begin, '/')
                    .ok_or_else(|| format!("Pattern not closed. Expected / in {}", self.whole()))?;
                let source = text(&self.s[begin + 1..close]);
                let case_insensitive = self.s.get(close + 1) == Some(&'i');
                if case_insensitive {
                    close += 1;
                }
                self.pos = close + 1;
                let regex = RegexBuilder::new(&format!(r"\A(?:{source})\z"))
                    .case_insensitive(case_insensitive)
                    .build()
                    .map_err(|e| {
                        format!(
                            "Invalid regular expression /{source}/: {}",
                            first_line(&e.to_string())
                        )
                    })?;
                Ok(Lit::Pattern(Pattern {
                    source: text(&self.s[begin..=close]),
                    regex,
                }))
            }
            _ => {
                // Jayway reads `true`, `false`, `null` or a number here. A bare word is read
                // as a string instead of failing: AWS samples use `[?(@.Name==Receipt)]` and
                // `[?(@.TargetLanguageCode==fr)]` on their main path.
                while self
                    .current()
                    .is_some_and(|c| !matches!(c, ' ' | ')' | '&' | '|') && !is_relational_char(c))
                {
                    self.pos += 1;
                }
                let word = text(&self.s[begin..self.pos]);
                Ok(match word.as_str() {
                    "true" => Lit::Bool(true),
                    "false" => Lit::Bool(false),
                    "null" => Lit::Null,
                    "" => return Err(format!("Expected a value in filter {}", self.whole())),
                    _ => match BigDec::parse(&word) {
                        Some(number) => Lit::Num(number.to_jnum(), number.to_java_string()),
                        None => Lit::Str(word),
                    },
                })
            }
        }
    }
}

pub(super) fn is_relational_char(c: char) -> bool {
    matches!(c, '<' | '>' | '=' | '~' | '!')
}

pub(super) fn first_line(s: &str) -> &str {
    s.lines().find(|l| !l.trim().is_empty()).unwrap_or(s).trim()
}

/// Jayway's `ExpressionNode.createExpressionNode(right, op, left)`.
pub(super) fn combine(right: Expr, op: Logic, left: Expr) -> Result<Expr, String> {
    let expr = match (op, right) {
        (Logic::And, Expr::And(mut chain)) => {
            chain.push(left);
            Expr::And(chain)
        }
        (Logic::And, right) => Expr::And(vec![left, right]),
        (Logic::Or, Expr::Or(mut chain)) => {
            chain.push(left);
            Expr::Or(chain)
        }
        (Logic::Or, right) => Expr::Or(vec![left, right]),
    };
    if expr_depth(&expr) > MAX_EXPR_DEPTH {
        return Err("Filter expression is nested too deeply".to_string());
    }
    Ok(expr)
}

/// Depth of `&&`/`||` nesting (bounded by `MAX_EXPR_DEPTH` + 1 when called).
pub(super) fn expr_depth(expr: &Expr) -> usize {
    match expr {
        Expr::And(chain) | Expr::Or(chain) => 1 + chain.iter().map(expr_depth).max().unwrap_or(0),
        Expr::Rel(_) => 0,
    }
}

/// Java's `Utils.unescape` (backslash escapes and `\uXXXX`, as in a Java literal).
pub(super) fn java_unescape(s: &[char]) -> Result<String, String> {
    let mut out: Vec<u16> = Vec::with_capacity(s.len());
    let mut buf = [0u16; 2];
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        i += 1;
        if c != '\\' {
            out.extend_from_slice(c.encode_utf16(&mut buf));
            continue;
        }
        let Some(&e) = s.get(i) else {
            out.push(u16::from(b'\\'));
            break;
        };
        i += 1;
        let unescaped = match e {
            'r' => '\r',
            'f' => '\u{c}',
            't' => '\t',
            'n' => '\n',
            'b' => '\u{8}',
            'u' => {
                let hex = text(&s[i..(i + 4).min(s.len())]);
                let unit = u16::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 4)
                    .ok_or_else(|| format!("Unable to parse unicode value: {hex}"))?;
                out.push(unit);
                i += 4;
                continue;
            }
            other => other,
        };
        out.extend_from_slice(unescaped.encode_utf16(&mut buf));
    }
    Ok(String::from_utf16_lossy(&out))
}

// ---------------------------------------------------------------------------------------
// Filter evaluation (Jayway's ValueNode evaluators)
// ---------------------------------------------------------------------------------------

/// Whether `item` passes the filter; an invalid comparison rejects it.
pub(super) fn accept(expr: &Expr, item: &Value, doc: &Value) -> bool {
    eval_expr(expr, item, doc).unwrap_or(false)
}

/// `Err(())` is Jayway's InvalidPathException, which rejects the whole item.
pub(super) fn eval_expr(expr: &Expr, item: &Value, doc: &Value) -> Result<bool, ()> {
    match expr {
        Expr::And(chain) => {
            for e in chain {
                if !eval_expr(e, item, doc)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Expr::Or(chain) => {
            for e in chain {
                if eval_expr(e, item, doc)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Expr::Rel(rel) => {
            let left = operand(&rel.left, item, doc)?;
            let right = operand(&rel.right, item, doc)?;
            relate(rel.op, &left, &right)
        }
    }
}

/// A value in a comparison (Jayway's `ValueNode`).
#[derive(Debug)]
pub(super) enum Node<'a> {
    Undefined,
    Null,
    Bool(bool),
    /// A number, with its `BigDecimal` text when it is a literal.
    Num(JNum, Option<&'a str>),
    Str(&'a str),
    /// An array or object; `literal` for `[...]`/`{...}` written in the filter.
    Json(Cow<'a, Value>, bool),
    Pattern(&'a Pattern),
}

impl Node<'_> {
    pub(super) fn of(v: &Value) -> Node<'_> {
        match v {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => Node::Num(JNum::from_json(n), None),
            Value::String(s) => Node::Str(s),
            Value::Array(_) | Value::Object(_) => Node::Json(Cow::Borrowed(v), false),
        }
    }

    /// The class comparison of `===`.
    pub(super) fn kind(&self) -> u8 {
        match self {
            Node::Undefined => 0,
            Node::Null => 1,
            Node::Bool(_) => 2,
            Node::Num(..) => 3,
            Node::Str(_) => 4,
            Node::Json(..) => 5,
            Node::Pattern(_) => 6,
        }
    }

    /// The items when this is an array; `Err` when it cannot be a list at all.
    pub(super) fn list(&self) -> Result<Option<&Vec<Value>>, ()> {
        match self {
            Node::Json(v, _) => Ok(v.as_array()),
            _ => Err(()),
        }
    }
}

pub(super) fn operand<'a>(o: &'a Operand, item: &'a Value, doc: &'a Value) -> Result<Node<'a>, ()> {
    match o {
        Operand::Lit(lit) => Ok(match lit {
            Lit::Null => Node::Null,
            Lit::Bool(b) => Node::Bool(*b),
            Lit::Num(n, text) => Node::Num(*n, Some(text)),
            Lit::Str(s) => Node::Str(s),
            Lit::Json(v) => Node::Json(Cow::Borrowed(v), true),
            Lit::Pattern(p) => Node::Pattern(p),
        }),
        Operand::Path(path) => {
            let start = if path.relative { item } else { doc };
            let opts = Opts {
                require: false,
                messages: false,
            };
            match evaluate(&path.body.segments, start, doc, opts, '@') {
                Err(EvalError::NotFound(_)) => Ok(Node::Undefined),
                Err(EvalError::Invalid(_)) => Err(()),
                Ok(found) if path.body.definite => Ok(match found.into_first() {
                    None => Node::Undefined,
                    Some(Cow::Borrowed(v)) => Node::of(v),
                    Some(Cow::Owned(v)) => Node::Json(Cow::Owned(v), false),
                }),
                Ok(found) => Ok(Node::Json(
                    Cow::Owned(Value::Array(found.into_values())),
                    false,
                )),
            }
        }
        Operand::Exists(path) => {
            let start = if path.relative { item } else { doc };
            let opts = Opts {
                require: true,
                messages: false,
            };
            match evaluate(&path.body.segments, start, doc, opts, '@') {
                Ok(found) => Ok(Node::Bool(!path.body.definite || !found.is_empty())),
                Err(EvalError::NotFound(_)) => Ok(Node::Bool(false)),
                Err(EvalError::Invalid(_)) => Err(()),
            }
        }
    }
}

/// The text of a number node as Jayway's `asStringNode()` gives it.
pub(super) fn num_text<'a>(n: JNum, literal: Option<&'a str>) -> Cow<'a, str> {
    match literal {
        Some(text) => Cow::Borrowed(text),
        None => Cow::Owned(number_text(n)),
    }
}

/// A string read as a number (`StringNode.asNumberNode()`); `None` is Jayway's NaN node.
pub(super) fn string_number(s: &str) -> Option<JNum> {
    BigDec::parse(s).map(|d| d.to_jnum())
}

/// Java's `left.equals(right)` for value nodes (used by lists and `in`).
pub(super) fn node_equals(left: &Node, right: &Node) -> bool {
    match (left, right) {
        (Node::Str(a), Node::Str(b)) => a == b,
        (Node::Str(a), Node::Num(n, t)) => *a == num_text(*n, *t),
        (Node::Num(a, _), Node::Num(b, _)) => a.compare(*b) == Some(Ordering::Equal),
        (Node::Num(a, _), Node::Str(s)) => {
            string_number(s).and_then(|b| a.compare(b)) == Some(Ordering::Equal)
        }
        (Node::Bool(a), Node::Bool(b)) => a == b,
        (Node::Null, Node::Null) => true,
        (Node::Json(a, la), Node::Json(b, lb)) => la == lb && a == b,
        _ => false,
    }
}

/// The `==` evaluator: like `equals`, except that two JSON values are compared parsed
/// (and a literal on the left never equals anything, as in Jayway).
pub(super) fn eq_evaluator(left: &Node, right: &Node) -> bool {
    match (left, right) {
        (Node::Json(a, literal), Node::Json(b, _)) => !literal && a == b,
        _ => node_equals(left, right),
    }
}

pub(super) fn compare(left: &Node, right: &Node) -> Option<Ordering> {
    match (left, right) {
        (Node::Num(a, _), Node::Num(b, _)) => a.compare(*b),
        (Node::Str(a), Node::Str(b)) => Some(java_compare(a, b)),
        (Node::Str(a), Node::Num(n, t)) => Some(java_compare(a, &num_text(*n, *t))),
        (Node::Num(n, t), Node::Str(b)) => Some(java_compare(&num_text(*n, *t), b)),
        _ => None,
    }
}

/// What `=~` matches a node against.
pub(super) fn regex_input<'a>(node: &Node<'a>) -> Cow<'a, str> {
    match node {
        Node::Str(s) => Cow::Borrowed(s),
        Node::Num(n, t) => num_text(*n, *t),
        Node::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        _ => Cow::Borrowed(""),
    }
}

pub(super) fn contains_node(items: &[Value], node: &Node) -> bool {
    items.iter().any(|item| node_equals(node, &Node::of(item)))
}

pub(super) fn relate(op: Op, left: &Node, right: &Node) -> Result<bool, ()> {
    Ok(match op {
        Op::Eq => eq_evaluator(left, right),
        Op::Ne => !eq_evaluator(left, right),
        Op::TsEq => left.kind() == right.kind() && eq_evaluator(left, right),
        Op::TsNe => !(left.kind() == right.kind() && eq_evaluator(left, right)),
        Op::Lt => compare(left, right) == Some(Ordering::Less),
        Op::Le => matches!(compare(left, right), Some(Ordering::Less | Ordering::Equal)),
        Op::Gt => compare(left, right) == Some(Ordering::Greater),
        Op::Ge => matches!(
            compare(left, right),
            Some(Ordering::Greater | Ordering::Equal)
        ),
        Op::Regex => match (left, right) {
            (Node::Pattern(_), Node::Pattern(_)) => false,
            (Node::Pattern(p), other) | (other, Node::Pattern(p)) => match other {
                Node::Json(v, _) if v.is_array() => v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|item| p.matches(&regex_input(&Node::of(item)))),
                _ => p.matches(&regex_input(other)),
            },
            _ => false,
        },
        Op::In => right
            .list()?
            .is_some_and(|items| contains_node(items, left)),
        Op::Nin => !right
            .list()?
            .is_some_and(|items| contains_node(items, left)),
        Op::Contains => match (left, right) {
            (Node::Str(a), Node::Str(b)) => a.contains(b),
            (Node::Json(v, _), _) => v
                .as_array()
                .is_some_and(|items| contains_node(items, right)),
            _ => false,
        },
        Op::All => return Err(()),
        Op::Size => match (left, right) {
            (Node::Str(s), Node::Num(n, _)) => s.encode_utf16().count() as i64 == n.int_value(),
            (Node::Json(v, _), Node::Num(n, _)) => {
                v.as_array().map_or(-1, |items| items.len() as i64) == n.int_value()
            }
            _ => false,
        },
        Op::Empty => {
            let Node::Bool(expected) = right else {
                return Err(());
            };
            match left {
                Node::Str(s) => s.is_empty() == *expected,
                Node::Json(v, _) => {
                    let empty = match v.as_ref() {
                        Value::Array(items) => items.is_empty(),
                        Value::Object(map) => map.is_empty(),
                        Value::String(s) => s.is_empty(),
                        _ => true,
                    };
                    empty == *expected
                }
                _ => false,
            }
        }
        Op::SubsetOf | Op::AnyOf | Op::NoneOf => {
            let (Some(rights), Some(lefts)) = (right.list()?, left.list()?) else {
                return Ok(false);
            };
            let mut pairs = lefts.iter().map(|l| (Node::of(l), rights));
            match op {
                Op::SubsetOf => pairs.all(|(l, rs)| contains_node(rs, &l)),
                Op::AnyOf => pairs.any(|(l, rs)| contains_node(rs, &l)),
                _ => !pairs.any(|(l, rs)| contains_node(rs, &l)),
            }
        }
        Op::Exists => match (left, right) {
            (Node::Bool(a), Node::Bool(b)) => a == b,
            _ => return Err(()),
        },
    })
}
