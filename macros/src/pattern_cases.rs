// The pattern-text cases that the compile-time check (`porticus-macros`, `src/pattern.rs`) and the
// runtime parser (`porticus`, `framework/src/pattern/parse.rs`, `parse_object`) must agree on.
// Both test modules `include!` this file, so the two parsers cannot drift apart.
//
// Each case is `(text, expected)`:
// * `Ok(pairs)`: the `key:value` pairs in the order written. Quoted values are unescaped; a bare
//   value is its trimmed text (the runtime types it: compare `1`, `true` and `null` by their JSON
//   text, and avoid numbers whose JSON text differs from what was written, such as `1e3`).
// * `Err(message)`: the error, without the runtime's trailing ``in `text` `` context. Positions
//   are 1-based characters (not bytes); `at the end` is one past the last character.
//
// The language is the runtime's, which follows Seneca's Jsonic where it overlaps: a trailing `,`
// and non-ASCII letters in bare keys are accepted, directive keys (`timeout$`) are accepted (a
// pattern drops them, as Seneca's `clean` does), nested arrays and objects are refused.
&[
    // Accepted.
    ("", Ok(&[])),
    ("   ", Ok(&[])),
    ("{}", Ok(&[])),
    (" { } ", Ok(&[])),
    ("role:math", Ok(&[("role", "math")])),
    ("  role : math ,cmd:sum  ", Ok(&[("role", "math"), ("cmd", "sum")])),
    ("{ role:math }", Ok(&[("role", "math")])),
    ("a:1,", Ok(&[("a", "1")])),
    ("a:1 , ", Ok(&[("a", "1")])),
    ("{a:1,}", Ok(&[("a", "1")])),
    ("{ a:1 , }", Ok(&[("a", "1")])),
    ("rôle:ü,é:1", Ok(&[("rôle", "ü"), ("é", "1")])),
    ("ключ:значение", Ok(&[("ключ", "значение")])),
    ("a.b-c_d:x?y,cmd:*", Ok(&[("a.b-c_d", "x?y"), ("cmd", "*")])),
    ("t:true,f:false,n:null,v:1.5", Ok(&[("t", "true"), ("f", "false"), ("n", "null"), ("v", "1.5")])),
    ("url:http://x:80/a b,n:1", Ok(&[("url", "http://x:80/a b"), ("n", "1")])),
    ("a:b:c", Ok(&[("a", "b:c")])),
    ("a:x'y", Ok(&[("a", "x'y")])),
    ("{a:1 b:2}", Ok(&[("a", "1 b:2")])),
    (r#""a key":'it\'s',b:"x,y}",c:''"#, Ok(&[("a key", "it's"), ("b", "x,y}"), ("c", "")])),
    (r#"a:"q\"\'\\\/\n\t""#, Ok(&[("a", "q\"'\\/\n\t")])),
    (r#"a:"\u00e9\ud83d\ude00""#, Ok(&[("a", "é😀")])),
    ("role:math,timeout$:500", Ok(&[("role", "math"), ("timeout$", "500")])),
    ("a$b:1,$:2", Ok(&[("a$b", "1"), ("$", "2")])),
    // Rejected.
    ("a:1,,b:2", Err("expected a key but found `,` at character 5")),
    (",", Err("expected a key but found `,` at character 1")),
    ("{,}", Err("expected a key but found `,` at character 2")),
    ("a:1,,", Err("expected a key but found `,` at character 5")),
    ("role:math,#:1", Err("expected a key but found `#` at character 11")),
    ("*:1", Err("expected a key but found `*` at character 1")),
    ("é:1,✓:2", Err("expected a key but found `✓` at character 5")),
    (":math", Err("empty key at character 1")),
    ("role:math,:sum", Err("empty key at character 11")),
    ("'':math", Err("empty key at character 1")),
    ("role", Err("expected `:` after key `role` at the end")),
    ("role:math,cmd", Err("expected `:` after key `cmd` at the end")),
    ("role math", Err("expected `:` after key `role` at character 6")),
    ("rôle math", Err("expected `:` after key `rôle` at character 6")),
    ("a:", Err("missing value for key `a` at the end")),
    ("role:  ", Err("missing value for key `role` at the end")),
    ("role:,cmd:sum", Err("missing value for key `role` at character 6")),
    ("{a:}", Err("missing value for key `a` at character 4")),
    ("a:[1,2]", Err("array values are not supported (key `a`) at character 3")),
    ("a:{b:1}", Err("object values are not supported (key `a`) at character 3")),
    ("role:'math", Err("unterminated string at character 6")),
    ("é:'math", Err("unterminated string at character 3")),
    (r#""role:math"#, Err("unterminated string at character 1")),
    (r"a:'x\'", Err("unterminated string at character 3")),
    (r"a:'x\", Err("unterminated string at character 3")),
    (r#"a:"\x""#, Err("invalid escape `\\x` at character 4")),
    (r#"a:"\u12""#, Err("invalid unicode escape at character 4")),
    (r#"a:"\ud83d""#, Err("unpaired surrogate in unicode escape at character 4")),
    (r#"a:"\ude00""#, Err("unpaired surrogate in unicode escape at character 4")),
    ("a:1,a:2", Err("duplicate key `a` at character 5")),
    ("role:math,cmd:sum,'role':x", Err("duplicate key `role` at character 19")),
    (r#"ab:1,"a\u0062":2"#, Err("duplicate key `ab` at character 6")),
    ("é:1,é:2", Err("duplicate key `é` at character 5")),
    ("{role:math", Err("missing the closing `}` at the end")),
    ("{a:1,", Err("missing the closing `}` at the end")),
    ("role:math}", Err("`}` without an opening `{` at character 10")),
    ("}", Err("`}` without an opening `{` at character 1")),
    ("{role:math} x", Err("unexpected `x` after the closing `}` at character 13")),
    ("{a:1}}", Err("unexpected `}` after the closing `}` at character 6")),
    ("a:'x' y", Err("expected `,` after the value of `a` but found `y` at character 7")),
    ("a:'x'}", Err("`}` without an opening `{` at character 6")),
]
