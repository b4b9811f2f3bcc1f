//! Parsing of the attribute arguments: `("pattern", override, idempotent, validate, schema,
//! concurrency = N, queue = M, crate = "path")`.
//!
//! This is syntax only; `validate` decides whether the pattern text and the options make sense
//! for the attribute at hand.

use proc_macro2::Ident;
use proc_macro2::{Span, TokenStream, TokenTree};
use syn::parse::{ParseStream, Parser};
use syn::{LitInt, LitStr, Token};

use crate::errors::Errors;
use crate::kind::Kind;

/// The parsed arguments of `#[action(…)]` / `#[event(…)]`.
#[derive(Debug)]
pub(crate) struct Args {
    /// The pattern literal, as written.
    pub(crate) pattern: LitStr,
    /// The `override` keyword, when present.
    pub(crate) overrides: Option<Token![override]>,
    /// The path given with `crate = "…"`, when present.
    pub(crate) krate: Option<syn::Path>,
    /// The `idempotent` keyword, when present.
    pub(crate) idempotent: Option<Ident>,
    /// The `validate` keyword, when present: the input is checked with `garde` after decoding.
    pub(crate) validate: Option<Ident>,
    /// The `schema` keyword, when present: the registration carries JSON Schemas (`schemars`).
    pub(crate) schema: Option<Ident>,
    /// `concurrency = N`, when present: the keyword and the number.
    pub(crate) concurrency: Option<(Ident, LitInt)>,
    /// `queue = M`, when present: the keyword and the number.
    pub(crate) queue: Option<(Ident, LitInt)>,
}

/// One optional argument after the pattern.
enum Opt {
    Override(Token![override]),
    Crate(Token![crate], syn::Path),
    /// `idempotent`, `validate` or `schema`.
    Flag(Ident),
    /// `concurrency = N` or `queue = M`.
    Number(Ident, LitInt),
}

/// The options a user may write, for the error on an unknown one.
const EXPECTED_OPTIONS: &str = "unknown argument: expected `override`, `idempotent`, `validate`, `schema`, `concurrency = N`, `queue = N` or `crate = \"path\"`";

/// The options written as a single keyword.
const FLAGS: [&str; 3] = ["idempotent", "validate", "schema"];

/// Parses the arguments, reporting every malformed one.
pub(crate) fn parse(kind: Kind, tokens: TokenStream) -> syn::Result<Args> {
    let mut errors = Errors::default();
    let mut chunks = split_commas(tokens, &mut errors).into_iter().peekable();
    let pattern = match chunks.peek() {
        None => {
            errors.push(syn::Error::new(
                Span::call_site(),
                format!(
                    "missing pattern: write `#[{}(\"role:math,cmd:sum\")]`",
                    kind.name()
                ),
            ));
            None
        }
        // Not consumed: the option is still parsed, and the only error is the missing pattern.
        Some(first) if is_option(first) => {
            errors.spanned(first, expected_pattern(kind));
            None
        }
        Some(_) => {
            let first = chunks.next().unwrap_or_default();
            if let Some(TokenTree::Literal(_)) = first.clone().into_iter().next() {
                errors.ok(Parser::parse2(parse_pattern(kind), first))
            } else {
                // An unquoted pattern (`role:math,cmd:sum`) spans several arguments: point at all
                // of them, once.
                let mut written = first;
                while let Some(next) = chunks.next_if(|chunk| !is_option(chunk)) {
                    written.extend(next);
                }
                errors.spanned(written, expected_pattern(kind));
                None
            }
        }
    };
    let mut overrides = None;
    let mut krate = None;
    let mut idempotent = None;
    let mut validate = None;
    let mut schema = None;
    let mut concurrency = None;
    let mut queue = None;
    for chunk in chunks {
        match errors.ok(Parser::parse2(parse_opt, chunk)) {
            Some(Opt::Flag(token)) => {
                let slot = if token == "idempotent" {
                    &mut idempotent
                } else if token == "validate" {
                    &mut validate
                } else {
                    &mut schema
                };
                if slot.is_some() {
                    errors.spanned(&token, format!("duplicate `{token}` argument"));
                } else {
                    *slot = Some(token);
                }
            }
            Some(Opt::Number(key, value)) => {
                let slot = if key == "concurrency" {
                    &mut concurrency
                } else {
                    &mut queue
                };
                if slot.is_some() {
                    errors.spanned(&key, format!("duplicate `{key}` argument"));
                } else {
                    *slot = Some((key, value));
                }
            }
            Some(Opt::Override(token)) if overrides.is_some() => {
                errors.spanned(token, "duplicate `override` argument");
            }
            Some(Opt::Override(token)) => overrides = Some(token),
            Some(Opt::Crate(token, _)) if krate.is_some() => {
                errors.spanned(token, "duplicate `crate` argument");
            }
            Some(Opt::Crate(_, path)) => krate = Some(path),
            None => {}
        }
    }
    errors.finish()?;
    Ok(Args {
        pattern: pattern.expect("a missing pattern is reported as an error"),
        overrides,
        krate,
        idempotent,
        validate,
        schema,
        concurrency,
        queue,
    })
}

/// Splits `tokens` at top-level commas, allowing one trailing comma.
///
/// An empty argument (`"p",,override` or a leading comma) is reported at its comma.
fn split_commas(tokens: TokenStream, errors: &mut Errors) -> Vec<TokenStream> {
    let mut chunks = Vec::new();
    let mut current = Vec::new();
    for token in tokens {
        match token {
            TokenTree::Punct(comma) if comma.as_char() == ',' => {
                if current.is_empty() {
                    errors.spanned(&comma, "expected an argument before this `,`");
                } else {
                    chunks.push(current.drain(..).collect());
                }
            }
            other => current.push(other),
        }
    }
    if !current.is_empty() {
        chunks.push(current.into_iter().collect());
    }
    chunks
}

/// The error for a missing or malformed pattern argument.
fn expected_pattern(kind: Kind) -> String {
    format!(
        "expected the pattern as a string literal first, e.g. `#[{}(\"role:math,cmd:sum\")]`",
        kind.name()
    )
}

/// Whether an argument starts like an option (`override`, `crate = …`).
fn is_option(chunk: &TokenStream) -> bool {
    matches!(
        chunk.clone().into_iter().next(),
        Some(TokenTree::Ident(ident))
            if ["override", "crate", "concurrency", "queue"].iter().chain(&FLAGS).any(|o| ident == o)
    )
}

/// Parses the first argument, which starts with a literal: the pattern string.
fn parse_pattern(kind: Kind) -> impl FnOnce(ParseStream<'_>) -> syn::Result<LitStr> {
    move |input| {
        let pattern = input
            .parse()
            .map_err(|error| syn::Error::new(error.span(), expected_pattern(kind)))?;
        if !input.is_empty() {
            return Err(input.error("expected `,` after the pattern"));
        }
        Ok(pattern)
    }
}

/// Parses one of `override` or `crate = "path"`.
fn parse_opt(input: ParseStream<'_>) -> syn::Result<Opt> {
    let opt = if input.peek(Token![override]) {
        Opt::Override(input.parse()?)
    } else if input.peek(Token![crate]) {
        let token: Token![crate] = input.parse()?;
        input.parse::<Token![=]>()?;
        if !input.peek(LitStr) {
            let written: TokenStream = input.parse()?;
            return Err(syn::Error::new_spanned(
                written,
                "expected the path as a string literal: `crate = \"my_facade::porticus\"`",
            ));
        }
        let path: LitStr = input.parse()?;
        let path = path.parse_with(syn::Path::parse_mod_style).map_err(|_| {
            syn::Error::new_spanned(
                &path,
                format!(
                    "`{}` is not a path: expected e.g. `crate = \"my_facade::porticus\"`",
                    path.value()
                ),
            )
        })?;
        Opt::Crate(token, path)
    } else if input.peek(syn::Ident)
        && input
            .fork()
            .parse::<Ident>()
            .is_ok_and(|i| FLAGS.iter().any(|flag| i == flag))
    {
        Opt::Flag(input.parse()?)
    } else if input.peek(syn::Ident)
        && input
            .fork()
            .parse::<Ident>()
            .is_ok_and(|i| i == "concurrency" || i == "queue")
    {
        let key: Ident = input.parse()?;
        input.parse::<Token![=]>().map_err(|e| {
            syn::Error::new(e.span(), format!("expected `{key} = N`, e.g. `{key} = 4`"))
        })?;
        if !input.peek(LitInt) {
            let written: TokenStream = input.parse()?;
            return Err(syn::Error::new_spanned(
                written,
                format!("expected a whole number: `{key} = 4`"),
            ));
        }
        Opt::Number(key, input.parse()?)
    } else if input.peek(LitStr) {
        let misplaced: LitStr = input.parse()?;
        return Err(syn::Error::new_spanned(
            misplaced,
            "the pattern must be the first argument",
        ));
    } else {
        let unknown: TokenTree = input.parse()?;
        return Err(syn::Error::new_spanned(unknown, EXPECTED_OPTIONS));
    };
    if !input.is_empty() {
        return Err(input.error("expected `,` before the next argument"));
    }
    Ok(opt)
}

#[cfg(test)]
mod tests {
    use quote::{quote, ToTokens};

    use super::*;

    fn error(kind: Kind, tokens: TokenStream) -> Vec<String> {
        match parse(kind, tokens) {
            Ok(args) => panic!("should be rejected, parsed as {args:?}"),
            Err(error) => error.into_iter().map(|error| error.to_string()).collect(),
        }
    }

    #[test]
    fn the_pattern_alone() {
        let args = parse(Kind::Action, quote!("role:math,cmd:sum")).unwrap();
        assert_eq!(args.pattern.value(), "role:math,cmd:sum");
        assert!(args.overrides.is_none());
        assert!(args.krate.is_none());
    }

    #[test]
    fn every_option_in_any_order_with_a_trailing_comma() {
        let args = parse(
            Kind::Action,
            quote!("role:math", crate = "my_facade::porticus", override,),
        )
        .unwrap();
        assert_eq!(args.pattern.value(), "role:math");
        assert!(args.overrides.is_some());
        assert_eq!(
            args.krate.unwrap().to_token_stream().to_string(),
            "my_facade :: porticus"
        );
    }

    #[test]
    fn resilience_options_are_parsed_and_duplicates_reported() {
        let args = parse(
            Kind::Action,
            quote!("a:1", idempotent, concurrency = 4, queue = 16),
        )
        .unwrap();
        assert!(args.idempotent.is_some());
        assert!(args.validate.is_none() && args.schema.is_none());
        assert_eq!(args.concurrency.unwrap().1.to_string(), "4");
        assert_eq!(args.queue.unwrap().1.to_string(), "16");
        assert_eq!(
            error(
                Kind::Action,
                quote!(
                    "a:1",
                    idempotent,
                    idempotent,
                    concurrency = 1,
                    concurrency = 2,
                    queue = "x"
                )
            ),
            [
                "duplicate `idempotent` argument",
                "duplicate `concurrency` argument",
                "expected a whole number: `queue = 4`",
            ]
        );
    }

    #[test]
    fn contract_options_are_parsed_and_duplicates_reported() {
        let args = parse(Kind::Action, quote!("a:1", schema, validate)).unwrap();
        assert!(args.validate.is_some() && args.schema.is_some());
        assert!(args.idempotent.is_none());
        assert_eq!(
            error(
                Kind::Action,
                quote!("a:1", validate, schema, validate, schema)
            ),
            [
                "duplicate `validate` argument",
                "duplicate `schema` argument"
            ]
        );
    }

    #[test]
    fn override_is_parsed_for_events_too() {
        // Rejecting it is `validate`'s job, so that the error can explain why.
        let args = parse(Kind::Event, quote!("event:shipped", override)).unwrap();
        assert!(args.overrides.is_some());
    }

    #[test]
    fn the_pattern_is_required_and_first() {
        assert_eq!(
            error(Kind::Event, quote!()),
            ["missing pattern: write `#[event(\"role:math,cmd:sum\")]`"]
        );
        for tokens in [
            quote!(42),
            quote!(b"role:math"),
            quote!(PATTERN),
            quote!(role = "math"),
            quote!(role:math, cmd:sum),
            quote!(role:math, cmd:sum, override),
            quote!(override),
        ] {
            assert_eq!(
                error(Kind::Action, tokens),
                ["expected the pattern as a string literal first, e.g. \
                  `#[action(\"role:math,cmd:sum\")]`"]
            );
        }
    }

    #[test]
    fn a_misplaced_pattern() {
        assert_eq!(
            error(
                Kind::Action,
                quote!(crate = "facade::porticus", "role:math")
            ),
            [
                "expected the pattern as a string literal first, e.g. \
                 `#[action(\"role:math,cmd:sum\")]`",
                "the pattern must be the first argument",
            ]
        );
    }

    #[test]
    fn every_bad_argument_is_reported() {
        assert_eq!(
            error(
                Kind::Action,
                quote!(
                    "a:1",
                    overide,
                    override,
                    override,
                    crate = my::path,
                    timeout = 5
                )
            ),
            [
                EXPECTED_OPTIONS,
                "duplicate `override` argument",
                "expected the path as a string literal: `crate = \"my_facade::porticus\"`",
                EXPECTED_OPTIONS,
            ]
        );
    }

    #[test]
    fn malformed_arguments() {
        assert_eq!(
            error(Kind::Action, quote!("a:1",, override)),
            ["expected an argument before this `,`"]
        );
        assert_eq!(
            error(Kind::Action, quote!("a:1" override)),
            ["expected `,` after the pattern"]
        );
        assert_eq!(
            error(Kind::Action, quote!("a:1", override = true)),
            ["expected `,` before the next argument"]
        );
        assert_eq!(
            error(Kind::Action, quote!("a:1", crate = "not a path")),
            ["`not a path` is not a path: expected e.g. `crate = \"my_facade::porticus\"`"]
        );
        assert_eq!(
            error(Kind::Action, quote!("a:1", crate = "x", crate = "y")),
            ["duplicate `crate` argument"]
        );
    }
}
