//! The JSONPath tests: parsing, Jayway's semantics, AWS's departures from it.

use super::*;
use crate::json;

fn path(text: &str) -> JsonPath {
    JsonPath::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn sel(text: &str, doc: &Value) -> Value {
    path(text)
        .select(doc)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn err(text: &str, doc: &Value) -> String {
    match path(text).select(doc) {
        Ok(v) => panic!("{text}: expected an error, got {v}"),
        Err(e) => e.0,
    }
}

fn parse_err(text: &str) -> String {
    match JsonPath::parse(text) {
        Ok(p) => panic!("{text}: expected a parse error, got {p:?}"),
        Err(e) => e.0,
    }
}

// --- Cases recorded against AWS (conformance corpus) ---------------------------------

#[test]
fn aws_filter_on_status() {
    // paths/state-pass-regex-json-path-base
    let input = json!({"users": [{"year": 1997, "status": 0}, {"year": 1998, "status": 1}]});
    assert_eq!(
        sel("$.users[?(@.status == 0)]", &input),
        json!([{"year": 1997, "status": 0}])
    );
}

#[test]
fn aws_escape_sequences_in_bracket_names() {
    // paths/escape-sequence-parsing-escape-sequences-jsonpath: the name is verbatim.
    let input = json!({"Test\\\"\"Name\"": "Value\"\\"});
    assert_eq!(sel("$['Test\\\"\"Name\"']", &input), json!("Value\"\\"));
}

#[test]
fn aws_array_access() {
    let items: Vec<Value> = (0..11).map(|i| json!({"item_key": i})).collect();
    let input = json!({ "items": items });
    assert_eq!(sel("$.items[0]", &input), json!({"item_key": 0}));
    assert_eq!(sel("$.items[10]", &input), json!({"item_key": 10}));
}

#[test]
fn aws_wildcards_and_slices_without_input() {
    // paths/json-path-array-wildcard-or-slice-with-no-input*: all give [] on {}.
    let input = json!({});
    for p in [
        "$[*]",
        "$.items[*]",
        "$.items[*].itemValue",
        "$.items[1:]",
        "$.items[1:].itemValue",
        "$.items[:1]",
        "$.items[:1].itemValue",
        "$.item.items[*]",
        "$.item.items[1:]",
        "$.item.items[:1]",
        "$.item.items[1:5]",
        "$.item.items[1:5].itemValue",
    ] {
        assert_eq!(sel(p, &input), json!([]), "{p}");
    }
}

#[test]
fn aws_invalid_path_messages() {
    // errors/invalid-jsonpath-st-invalid-jsonpath-in-inputpath and -outputpath
    let input = json!({"int-literal": 0});
    assert_eq!(
        err("$.NoSuchInputPath", &input),
        "No results for path: $['NoSuchInputPath']"
    );
    assert_eq!(
        err("$.NoSuchOutputPath", &input),
        "No results for path: $['NoSuchOutputPath']"
    );
    // errors/invalid-jsonpath-invalid-jsonpath-in-errorpath, -causepath, string-expr
    assert!(
        path("$.ErrorX")
            .select(&json!({"Error": "error-value"}))
            .is_err()
    );
    assert!(path("$.no_such_jsonpath").select(&input).is_err());
    // lambda/base-scenarios-catch-states-runtime
    assert_eq!(
        err("$.no.such.result.path", &json!({})),
        "Missing property in path $['no']"
    );
}

#[test]
fn aws_context_object_path() {
    // errors/invalid-jsonpath-invalid-jsonpath-in-string-expr-contextpath
    let p = path("$$.Execution.Input.no_such_jsonpath");
    assert_eq!(p.root(), &PathRoot::Context);
    let context = json!({"Execution": {"Input": {"int-literal": 0}}});
    assert_eq!(
        p.select(&context).unwrap_err().0,
        "No results for path: $['Execution']['Input']['no_such_jsonpath']"
    );
    assert_eq!(
        path("$$.Execution.Input").select(&context).unwrap(),
        json!({"int-literal": 0})
    );
}

// --- Roots ---------------------------------------------------------------------------

#[test]
fn roots() {
    assert_eq!(path("$").root(), &PathRoot::Input);
    assert_eq!(path("$$").root(), &PathRoot::Context);
    assert_eq!(path("$.a").root(), &PathRoot::Input);
    assert_eq!(path("$myVar").root(), &PathRoot::Variable("myVar".into()));
    assert_eq!(
        path("$my_var2.field").root(),
        &PathRoot::Variable("my_var2".into())
    );
    assert_eq!(
        path("$myVar[0]").root(),
        &PathRoot::Variable("myVar".into())
    );
    let doc = json!({"field": [1, 2]});
    assert_eq!(path("$myVar.field[1]").select(&doc).unwrap(), json!(2));
    assert_eq!(path("$v").select(&doc).unwrap(), doc);
    assert_eq!(path("  $.field  ").text(), "  $.field  ");
    assert_eq!(path("  $.field  ").select(&doc).unwrap(), json!([1, 2]));
}

// --- Parsing -------------------------------------------------------------------------

#[test]
fn dot_names_allow_any_char_but_dot_bracket_space() {
    let doc = json!({"a-b": 1, "näme": 2, "sub-values": {"x:y": 3}, "f()": 4});
    assert_eq!(sel("$.a-b", &doc), json!(1));
    assert_eq!(sel("$.näme", &doc), json!(2));
    assert_eq!(sel("$.sub-values.x:y", &doc), json!(3));
    assert_eq!(sel("$.f()", &doc), json!(4));
    assert_eq!(sel("$.['a-b']", &doc), json!(1));
    assert_eq!(sel("$[\"a-b\"]", &doc), json!(1));
}

#[test]
fn parse_errors() {
    assert_eq!(parse_err("foo"), "'foo' does not start with '$'");
    assert_eq!(parse_err(""), "'' does not start with '$'");
    assert_eq!(parse_err("$."), "Path must not end with a '.' or '..'");
    assert_eq!(parse_err("$.a.."), "Path must not end with a '.' or '..'");
    assert_eq!(
        parse_err("$-a"),
        "Illegal character at position 1 expected '.' or '['"
    );
    assert_eq!(
        parse_err("$...a"),
        "Character '.' on position 3 is not valid."
    );
    assert_eq!(
        parse_err("$.a b"),
        "Use bracket notion ['my prop'] if your property contains blank characters. position: 2"
    );
    assert_eq!(
        parse_err("$[]"),
        "Could not parse token starting at position 1. Expected ?, ', 0-9, * "
    );
    assert_eq!(
        parse_err("$['a"),
        "Property has not been closed - missing closing '"
    );
    assert_eq!(parse_err("$['a',]"), "Found empty property at index 6");
    assert_eq!(
        parse_err("$['a' 'b']"),
        "Property must be separated by comma or Property must be terminated close square bracket at index 4"
    );
    assert_eq!(
        parse_err("$[*x]"),
        "Expected wildcard token to end with ']' on position 3"
    );
    assert_eq!(
        parse_err("$[1 2]"),
        "Failed to parse token in ArrayIndexOperation: 1 2"
    );
    assert_eq!(parse_err("$[:]"), "Failed to parse SliceOperation: :");
    assert_eq!(parse_err("$[1 :2]"), "Failed to parse SliceOperation: 1 :2");
    assert_eq!(
        parse_err("$[99999999999]"),
        "Failed to parse token in ArrayIndexOperation: 99999999999"
    );
    assert_eq!(
        parse_err("$[?]"),
        "Not enough predicates supplied for filter [?] at position 1"
    );
    assert!(parse_err("$[?(@.a == 'x)]").starts_with("Could not"));
    assert!(parse_err("$[?(@.a <> 1)]").contains("Filter operator <> is not supported!"));
    assert!(parse_err("$[?(@.a =~ /(/)]").contains("Invalid regular expression"));
    assert!(parse_err("$[?((@.a == 1)]").starts_with("Could not"));
    assert!(parse_err("$[?(1)]").contains("Expected path node"));
    for p in [
        "$[?(@.a ==)]",
        "$[?(@.a && )]",
        "$[?()]",
        "$[?(@.a == [1,)]",
    ] {
        assert!(JsonPath::parse(p).is_err(), "{p}");
    }
}

#[test]
fn parse_errors_are_one_line() {
    for p in [
        "$[?(@.a =~ /(/)]",
        "$[?(@.a == {'x': })]",
        "$[?(@.a in [1,2)]",
    ] {
        let e = parse_err(p);
        assert!(!e.contains('\n'), "{p}: {e}");
    }
}

#[test]
fn pathological_input_is_refused_not_overflowed() {
    // Filters nested in paths nested in filters.
    let mut p = String::from("@.a");
    for _ in 0..200 {
        p = format!("@[?({p})]");
    }
    assert!(JsonPath::parse(&format!("${}", &p[1..])).is_err());
    // Alternating operators nest the expression tree.
    let long: Vec<String> = (0..500)
        .map(|i| format!("@.a == {i} {}", if i % 2 == 0 { "&&" } else { "||" }))
        .collect();
    let p = format!("$[?({} @.a == 0)]", long.join(" "));
    assert!(
        JsonPath::parse(&p)
            .unwrap_err()
            .contains("nested too deeply")
    );
    // Many parentheses and a long chain of one operator are fine.
    let p = format!("$[?({}@.a == 1{})]", "(".repeat(5000), ")".repeat(5000));
    assert_eq!(
        path(&p).select(&json!([{"a": 1}, {"a": 2}])).unwrap(),
        json!([{"a": 1}])
    );
    let chain: Vec<String> = (0..2000).map(|i| format!("@.a == {i}")).collect();
    let p = format!("$[?({})]", chain.join(" || "));
    assert_eq!(
        path(&p).select(&json!([{"a": 1999}])).unwrap(),
        json!([{"a": 1999}])
    );
    // Deeply nested JSON literals.
    let p = format!("$[?(@.a in {}1{})]", "[".repeat(1000), "]".repeat(1000));
    assert!(JsonPath::parse(&p).is_err());
    // A long path is evaluated without recursion.
    let p = format!("${}", ".a".repeat(100_000));
    assert_eq!(
        path(&p).select(&json!({"b": 1})).unwrap_err().0,
        "Missing property in path $['a']"
    );
    let p = format!("$..a{}", "[*]".repeat(50_000));
    assert_eq!(path(&p).select(&json!({"a": [[1]]})).unwrap(), json!([]));
}

// --- Definiteness --------------------------------------------------------------------

#[test]
fn definiteness() {
    for p in [
        "$",
        "$$",
        "$.a",
        "$.a[0]",
        "$['a'].b[-1]",
        "$['a','b']",
        "$v.x",
    ] {
        assert!(path(p).is_definite(), "{p}");
    }
    for p in [
        "$.a[*]",
        "$.*",
        "$.a[0,1]",
        "$.a[1:]",
        "$..a",
        "$.a[?(@.b)]",
        "$['a','b'].c",
    ] {
        assert!(!path(p).is_definite(), "{p}");
    }
    for p in ["$", "$.a", "$.a[0].b", "$['a'][-1]", "$$.Map.Item.Value"] {
        assert!(path(p).is_reference_path(), "{p}");
    }
    for p in ["$['a','b']", "$.a[*]", "$..a", "$.a[0,1]"] {
        assert!(!path(p).is_reference_path(), "{p}");
    }
}

// --- Definite evaluation and Jayway's messages ------------------------------------------

#[test]
fn definite_errors() {
    let doc = json!({"a": {"b": 1}, "s": "text", "n": null, "arr": [1, 2], "i": 5, "f": 1.5});
    assert_eq!(sel("$", &doc), doc);
    assert_eq!(sel("$.a.b", &doc), json!(1));
    assert_eq!(sel("$.n", &doc), json!(null));
    assert_eq!(err("$.a.c", &doc), "No results for path: $['a']['c']");
    assert_eq!(err("$.x.y.z", &doc), "Missing property in path $['x']");
    assert_eq!(err("$.a.x.y", &doc), "Missing property in path $['a']['x']");
    assert_eq!(
        err("$.s.b", &doc),
        "Expected to find an object with property ['b'] in path $['s'] but found 'java.lang.String'. \
             This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'."
    );
    assert!(err("$.n.b", &doc).contains("but found 'null'"));
    assert!(err("$.arr.b", &doc).contains("but found 'net.minidev.json.JSONArray'"));
    assert!(err("$.i.b", &doc).contains("but found 'java.lang.Integer'"));
    assert!(err("$.f.b", &doc).contains("but found 'java.lang.Double'"));
    assert!(err("$.arr['b','c']", &doc).contains("with property ['b','c'] in path $['arr']"));
    assert_eq!(err("$.arr[2]", &doc), "No results for path: $['arr'][2]");
    assert_eq!(err("$.arr[-3]", &doc), "No results for path: $['arr'][-3]");
    assert_eq!(
        err("$.arr[5].x", &doc),
        "No results for path: $['arr'][5]['x']"
    );
    assert_eq!(err("$.n[0]", &doc), "The path $['n'] is null");
    assert_eq!(
        err("$.a[0].b", &doc),
        "Filter: [0]['b'] can only be applied to arrays. Current context is: {\"b\":1}"
    );
    assert_eq!(
        err("$.s[0]", &doc),
        "Filter: [0] can only be applied to arrays. Current context is: text"
    );
    assert_eq!(err("$[\"zz\"]", &doc), "No results for path: $[\"zz\"]");
    assert_eq!(
        err("$['it\\'s']", &doc),
        "No results for path: $['it\\\\\\'s']"
    );
}

#[test]
fn negative_indexes() {
    let doc = json!({"arr": [1, 2, 3]});
    assert_eq!(sel("$.arr[-1]", &doc), json!(3));
    assert_eq!(sel("$.arr[-3]", &doc), json!(1));
    assert_eq!(sel("$.arr[0,-1,7,1]", &doc), json!([1, 3, 2]));
}

#[test]
fn simple_fast_path_matches_general_evaluation() {
    let doc = json!({"a": {"b": [1, {"c": null}]}, "s": "x", "n": null});
    for p in [
        "$",
        "$.a",
        "$.a.b",
        "$.a.b[1].c",
        "$.a.b[-1]",
        "$.a.b[2]",
        "$.a.x",
        "$.a.x.y",
        "$.s.b",
        "$.n.b",
        "$.n[0]",
        "$.a[0]",
        "$.a.b[0].c",
        "$.a.b.c",
        "$.s[1].x",
    ] {
        let jp = path(p);
        assert!(jp.0.simple, "{p}");
        let fast = jp.select(&doc);
        let opts = Opts {
            require: false,
            messages: true,
        };
        let general = match evaluate(&jp.0.body.segments, &doc, &doc, opts, '$') {
            Ok(found) => found
                .into_first()
                .map(Cow::into_owned)
                .ok_or_else(|| no_results(&jp.0.body.segments)),
            Err(e) => Err(PathError(e.into_message())),
        };
        assert_eq!(fast, general, "{p}");
    }
}

#[test]
fn select_cow_borrows() {
    let doc = json!({"a": {"b": [1, 2]}});
    assert!(matches!(
        path("$.a.b").select_cow(&doc),
        Ok(Cow::Borrowed(_))
    ));
    assert!(matches!(
        path("$.a.b[*]").select_cow(&doc),
        Ok(Cow::Owned(_))
    ));
}

// --- Indefinite evaluation -----------------------------------------------------------

#[test]
fn wildcards_unions_and_merges() {
    let doc = json!({"a": {"x": 1, "y": 2}, "arr": [{"v": 1}, {"w": 2}, {"v": 3}], "s": "str"});
    assert_eq!(sel("$.a.*", &doc), json!([1, 2]));
    assert_eq!(sel("$.a[*]", &doc), json!([1, 2]));
    assert_eq!(sel("$.arr[*].v", &doc), json!([1, 3]));
    assert_eq!(sel("$.*.v", &doc), json!([]));
    assert_eq!(sel("$[*][*]", &json!([[1, 2], [3], 4])), json!([1, 2, 3]));
    assert_eq!(sel("$.arr[0,2].v", &doc), json!([1, 3]));
    assert_eq!(sel("$.a['x','y']", &doc), json!({"x": 1, "y": 2}));
    assert_eq!(sel("$.a['y','x','z']", &doc), json!({"y": 2, "x": 1}));
    assert_eq!(
        sel("$.arr[*]['v','w']", &doc),
        json!([{"v": 1}, {"w": 2}, {"v": 3}])
    );
    assert_eq!(sel("$['a','arr'].x", &doc), json!([1]));
    assert_eq!(sel("$.s[*]", &doc), json!([]));
    assert_eq!(
        sel("$.[*].['x', 'y']", &json!([{"x": 1, "y": 2}])),
        json!([{"x": 1, "y": 2}])
    );
}

#[test]
fn slices() {
    let doc = json!([0, 1, 2, 3, 4]);
    assert_eq!(sel("$[1:3]", &doc), json!([1, 2]));
    assert_eq!(sel("$[:2]", &doc), json!([0, 1]));
    assert_eq!(sel("$[-2:]", &doc), json!([3, 4]));
    assert_eq!(sel("$[1:]", &doc), json!([1, 2, 3, 4]));
    assert_eq!(sel("$[:-1]", &doc), json!([0, 1, 2, 3]));
    assert_eq!(sel("$[-10:]", &doc), json!([0, 1, 2, 3, 4]));
    assert_eq!(sel("$[3:100]", &doc), json!([3, 4]));
    assert_eq!(sel("$[0:4:2]", &doc), json!([0, 1, 2, 3]), "step ignored");
    // Jayway quirks of [from:to]: negative bounds are not normalised.
    assert_eq!(sel("$[1:-1]", &doc), json!([]));
    assert_eq!(sel("$[-3:-1]", &doc), json!([2, 3]));
    assert_eq!(sel("$[-1:2]", &doc), json!([4, 0, 1]));
    assert_eq!(sel("$[-2147483648:2]", &doc), json!([0, 1, 2, 3, 4, 0, 1]));
    assert_eq!(sel("$[5:]", &doc), json!([]));
    assert_eq!(sel("$[:0]", &doc), json!([]));
}

#[test]
fn deep_scan() {
    let doc = json!({
        "store": {
            "book": [
                {"title": "A", "price": 8, "author": {"name": "x"}},
                {"title": "B", "price": 12}
            ],
            "bicycle": {"price": 20}
        },
        "price": 1
    });
    assert_eq!(sel("$..price", &doc), json!([1, 8, 12, 20]));
    assert_eq!(sel("$.store..price", &doc), json!([8, 12, 20]));
    assert_eq!(sel("$..book[0].title", &doc), json!(["A"]));
    assert_eq!(
        sel("$..book[1]", &doc),
        json!([{"title": "B", "price": 12}])
    );
    assert_eq!(sel("$..[?(@.price > 10)].title", &doc), json!(["B"]));
    assert_eq!(sel("$..author.name", &doc), json!(["x"]));
    assert_eq!(sel("$..nothing", &doc), json!([]));
    assert_eq!(
        sel("$..['title','price']", &doc),
        json!([{"title": "A", "price": 8}, {"title": "B", "price": 12}])
    );
    assert_eq!(
        sel("$..*", &json!({"a": [1, {"b": 2}]})),
        json!([[1, {"b": 2}], 1, {"b": 2}, 2])
    );
}

// --- Filters -------------------------------------------------------------------------

#[test]
fn filter_comparisons() {
    let doc = json!({"items": [
        {"id": 1, "price": 5, "name": "apple", "tags": ["a", "b"], "ok": true},
        {"id": 2, "price": 15, "name": "Banana", "tags": [], "ok": false},
        {"id": 3, "price": 10.5, "name": "cherry", "status": null},
        {"id": "4", "name": ""}
    ]});
    let ids = |p: &str| sel(&format!("$.items[?({p})].id"), &doc);
    assert_eq!(ids("@.price < 10"), json!([1]));
    assert_eq!(ids("@.price <= 10.5"), json!([1, 3]));
    assert_eq!(ids("@.price > 5"), json!([2, 3]));
    assert_eq!(ids("@.price >= 15"), json!([2]));
    assert_eq!(ids("@.price == 10.50"), json!([3]));
    assert_eq!(ids("@.price != 5"), json!([2, 3, "4"]));
    assert_eq!(ids("@.name == 'apple'"), json!([1]));
    assert_eq!(ids("@.name == \"Banana\""), json!([2]));
    assert_eq!(ids("@.name > 'b'"), json!([3]));
    assert_eq!(ids("@.ok == true"), json!([1]));
    assert_eq!(ids("@.ok == false"), json!([2]));
    assert_eq!(ids("@.status == null"), json!([3]));
    assert_eq!(ids("@.id == 4"), json!(["4"]));
    assert_eq!(ids("@.id === 4"), json!([]));
    assert_eq!(ids("@.id === '4'"), json!(["4"]));
    assert_eq!(ids("@.price"), json!([1, 2, 3]));
    assert_eq!(ids("!@.price"), json!(["4"]));
    assert_eq!(ids("@.status"), json!([3]));
    assert_eq!(ids("@.tags[0]"), json!([1]));
    assert_eq!(ids("@.price < 10 && @.name == 'apple'"), json!([1]));
    assert_eq!(ids("@.price > 10 || @.name == 'apple'"), json!([1, 2, 3]));
    assert_eq!(ids("@.name =~ /.*an.*/"), json!([2]));
    assert_eq!(ids("@.name =~ /b.*/i"), json!([2]));
    // Java regex features AWS accepts: lookahead and backreferences.
    assert_eq!(ids("@.name =~ /(?=.*n).*a/"), json!([2]));
    assert_eq!(ids("@.name =~ /.*(p)\\1.*/"), json!([1]));
    assert_eq!(
        ids("@.name =~ /an/"),
        json!([]),
        "matches() is a full match"
    );
    assert_eq!(ids("@.id in [1, 2, '4']"), json!([1, 2, "4"]));
    assert_eq!(ids("@.name in ['apple', 'cherry']"), json!([1, 3]));
    assert_eq!(ids("@.name nin ['apple', 'cherry']"), json!([2, "4"]));
    assert_eq!(ids("@.tags size 2"), json!([1]));
    assert_eq!(ids("@.name size 6"), json!([2, 3]));
    assert_eq!(ids("@.tags empty true"), json!([2]));
    assert_eq!(ids("@.name empty true"), json!(["4"]));
    assert_eq!(ids("@.tags contains 'b'"), json!([1]));
    assert_eq!(ids("@.name contains 'err'"), json!([3]));
    assert_eq!(ids("@.tags subsetof ['a', 'b', 'c']"), json!([1, 2]));
    assert_eq!(ids("@.tags anyof ['b', 'z']"), json!([1]));
    assert_eq!(ids("@.tags noneof ['b', 'z']"), json!([2]));
    assert_eq!(ids("@.tags == ['a', 'b']"), json!([1]));
    assert_eq!(ids("@.missing == null"), json!([]));
    assert_eq!(ids("@.missing != 1"), json!([1, 2, 3, "4"]));
    assert_eq!(ids("@['name'] == 'cherry'"), json!([3]));
    assert_eq!(ids("@.price==5"), json!([1]));
}

#[test]
fn filter_quirks() {
    // A filter on an object tests the object itself.
    let doc = json!({"a": {"b": 1}});
    assert_eq!(sel("$.a[?(@.b == 1)]", &doc), json!([{"b": 1}]));
    assert_eq!(sel("$.a[?(@.b == 2)]", &doc), json!([]));
    // `$` in a filter is the document.
    let doc = json!({"limit": 2, "xs": [{"v": 1}, {"v": 3}]});
    assert_eq!(sel("$.xs[?(@.v < $.limit)]", &doc), json!([{"v": 1}]));
    // Jayway groups && and || from the right, without precedence.
    let doc = json!([{"a": 2, "b": 0, "c": 3}]);
    assert_eq!(
        sel("$[?(@.a == 1 && @.b == 2 || @.c == 3)]", &doc),
        json!([])
    );
    assert_eq!(sel("$[?((@.a == 1 && @.b == 2) || @.c == 3)]", &doc), doc);
    // `!` only negates an existence check.
    assert_eq!(sel("$[?(!(@.a == 2))]", &doc), doc);
    // Numbers compare with strings through their text.
    let doc = json!([{"v": "10"}, {"v": "1.0"}, {"v": 1.0}]);
    assert_eq!(sel("$[?(@.v == 10)]", &doc), json!([{"v": "10"}]));
    assert_eq!(
        sel("$[?(1 == @.v)]", &doc),
        json!([{"v": "1.0"}, {"v": 1.0}])
    );
    assert_eq!(
        sel("$[?(@.v == '1.0')]", &doc),
        json!([{"v": "1.0"}, {"v": 1.0}])
    );
    // A bare word is a string (used by AWS samples).
    let doc = json!({"Labels": [{"Name": "Receipt"}, {"Name": "Car"}]});
    assert_eq!(
        sel("$.Labels[?(@.Name==Receipt)]", &doc),
        json!([{"Name": "Receipt"}])
    );
    assert_eq!(
        sel("$[?(@.Name==fr)]", &json!([{"Name": "fr"}])),
        json!([{"Name": "fr"}])
    );
    // A filter on a primitive after a definite prefix throws, so AWS gives [].
    assert_eq!(sel("$.a[?(@.b)]", &json!({"a": 5})), json!([]));
    // Escapes in filter strings are Java's.
    assert_eq!(
        sel("$[?(@ == 'it\\'s')]", &json!(["it's", "x"])),
        json!(["it's"])
    );
    assert_eq!(sel("$[?(@ == '\\u00e9')]", &json!(["é"])), json!(["é"]));
}

#[test]
fn filter_paths_inside_filters() {
    let doc = json!({"xs": [{"ys": [{"z": 1}]}, {"ys": [{"z": 2}]}, {"ys": []}]});
    // An existence check on an indefinite path is true even when it selects nothing.
    assert_eq!(sel("$.xs[?(@.ys[?(@.z == 2)])]", &doc), doc["xs"]);
    assert_eq!(
        sel("$.xs[?(@.ys[0].z > 1)]", &doc),
        json!([{"ys": [{"z": 2}]}])
    );
    assert_eq!(
        sel("$.xs[?(@.ys[*].z contains 1)]", &doc),
        json!([{"ys": [{"z": 1}]}])
    );
    let doc = json!({"approaches": [{"workerId": "a", "approach": 1}, {"workerId": "b", "approach": 2}], "agent_id": "b"});
    assert_eq!(
        sel("$.approaches[?(@.workerId == $.agent_id)].approach", &doc),
        json!([2])
    );
}

// --- Writes (ResultPath) -----------------------------------------------------------------

/// `path` written with `value` into a copy of `target`: the written copy, or the error.
/// Writing in place and writing into a copy must agree, in member order too.
fn written(path_text: &str, target: &Value, value: Value) -> Result<Value, PathError> {
    let p = path(path_text);
    let copied = p.write_copy(target, value.clone());
    let mut in_place = target.clone();
    let in_place = p.write(&mut in_place, value).map(|()| in_place);
    match (&in_place, &copied) {
        (Ok(a), Ok(b)) => assert!(crate::expr::identical(a, b), "{path_text}: {a} vs {b}"),
        (Err(a), Err(b)) => assert_eq!(a.0, b.0, "{path_text}"),
        _ => panic!("{path_text}: {in_place:?} vs {copied:?}"),
    }
    in_place
}

#[test]
fn writes() {
    let input = json!({"a": {"b": 1}, "arr": [1, 2]});
    assert_eq!(written("$", &input, json!(7)).unwrap(), json!(7));
    assert_eq!(
        written("$.a.c", &input, json!(7)).unwrap(),
        json!({"a": {"b": 1, "c": 7}, "arr": [1, 2]})
    );
    assert_eq!(
        written("$.a.b", &input, json!(7)).unwrap(),
        json!({"a": {"b": 7}, "arr": [1, 2]})
    );
    assert_eq!(
        written("$.x.y.z", &input, json!(7)).unwrap(),
        json!({"a": {"b": 1}, "arr": [1, 2], "x": {"y": {"z": 7}}})
    );
    assert_eq!(
        written("$.arr[-1]", &input, json!(7)).unwrap(),
        json!({"a": {"b": 1}, "arr": [1, 7]})
    );
    assert_eq!(
        written("$.arr[0].x", &json!({"arr": [{"y": 1}, 2]}), json!(7)).unwrap(),
        json!({"arr": [{"y": 1, "x": 7}, 2]})
    );
    assert_eq!(
        written("$.a", &json!({"a": 1, "b": 2}), json!(7)).unwrap(),
        json!({"a": 7, "b": 2})
    );
    assert_eq!(
        written("$['a']['d']", &input, json!(null)).unwrap(),
        json!({"a": {"b": 1, "d": null}, "arr": [1, 2]})
    );
    let conflict = |p: &str, target: Value| written(p, &target, json!(7)).unwrap_err().0;
    assert_eq!(
        conflict("$.partitioned", json!("{\"min_size\":1}")),
        "Unable to apply ReferencePath $.partitioned to input \"{\\\"min_size\\\":1}\""
    );
    assert!(
        conflict("$.a.b.c", input.clone())
            .starts_with("Unable to apply ReferencePath $.a.b.c to input {")
    );
    assert!(conflict("$.arr[5]", input.clone()).starts_with("Unable to apply"));
    assert!(conflict("$.arr.x", input.clone()).starts_with("Unable to apply"));
    assert!(conflict("$.x[0]", input.clone()).starts_with("Unable to apply"));
    assert!(conflict("$.a[0]", input.clone()).starts_with("Unable to apply"));
    assert!(conflict("$.a.b", json!([1])).starts_with("Unable to apply"));
    assert!(conflict("$.a[*]", input).contains("is not a reference path"));
}

// --- Number formatting helpers ---------------------------------------------------------

#[test]
fn java_number_text() {
    assert_eq!(java_double_string(1.0), "1.0");
    assert_eq!(java_double_string(100.0), "100.0");
    assert_eq!(java_double_string(0.001), "0.001");
    assert_eq!(java_double_string(1e7), "1.0E7");
    assert_eq!(java_double_string(1.5e-7), "1.5E-7");
    assert_eq!(java_double_string(-12.25), "-12.25");
    assert_eq!(number_text(JNum::Float(1e10)), "1.0E+10");
    assert_eq!(number_text(JNum::Float(1e-4)), "0.00010");
    assert_eq!(number_text(JNum::Int(-42)), "-42");
    let big = |s: &str| BigDec::parse(s).map(|d| d.to_java_string());
    assert_eq!(big("1e5").as_deref(), Some("1E+5"));
    assert_eq!(big("1.50").as_deref(), Some("1.50"));
    assert_eq!(big("-0").as_deref(), Some("0"));
    assert_eq!(big("0.00").as_deref(), Some("0.00"));
    assert_eq!(big(".5").as_deref(), Some("0.5"));
    assert_eq!(big("abc"), None);
    assert_eq!(big("1e"), None);
    assert_eq!(big("-"), None);
}

/// `take` moves out exactly what `select` copies, for every reference path that selects
/// something, and leaves `null` where it was.
#[test]
fn take_moves_out_what_select_copies() {
    let doc = json!({"a": {"b": [10, {"c": "x"}]}, "items": [1, 2, 3], "n": null});
    for p in [
        "$",
        "$.a",
        "$.a.b",
        "$.a.b[1]",
        "$.a.b[-1].c",
        "$['items']",
        "$.n",
    ] {
        let mut owned = doc.clone();
        assert_eq!(path(p).take(&mut owned), Some(sel(p, &doc)), "{p}");
        if p != "$" {
            assert_eq!(sel(p, &owned), Value::Null, "{p} leaves null");
        }
    }
    for p in [
        "$.missing",
        "$.a.missing.b",
        "$.items[7]",
        "$.items.x",
        "$.items[*]",
        "$..b",
    ] {
        let mut owned = doc.clone();
        assert_eq!(path(p).take(&mut owned), None, "{p}");
        assert_eq!(owned, doc, "{p} changes nothing");
    }
}
