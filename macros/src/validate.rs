//! Checks that the arguments and the function make a valid handler, reporting every problem at
//! the token that causes it.

use proc_macro2::{Ident, TokenStream, TokenTree};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{
    Attribute, FnArg, GenericArgument, ItemFn, LitStr, PathArguments, ReturnType, Signature, Type,
};

use crate::args::Args;
use crate::errors::Errors;
use crate::kind::Kind;
use crate::pattern;

/// Everything the expansion needs, known to be valid.
#[derive(Debug)]
pub(crate) struct Handler {
    /// `#[action]` or `#[event]`.
    pub(crate) kind: Kind,
    /// The path of the `porticus` crate (`::porticus` unless `crate = "…"` was given).
    pub(crate) krate: syn::Path,
    /// The pattern text, trimmed, spanned at the literal the user wrote.
    pub(crate) pattern: LitStr,
    /// Whether the registration replaces an existing action with the same pattern.
    pub(crate) overrides: bool,
    /// Whether the action is safe to run twice (`idempotent`).
    pub(crate) idempotent: bool,
    /// Whether the decoded input is checked with `garde` before the handler runs (`validate`).
    pub(crate) validate: bool,
    /// Whether the registration carries the JSON Schemas of its input and output (`schema`).
    pub(crate) schema: bool,
    /// `concurrency = N`: the most acts running at once.
    pub(crate) concurrency: Option<u32>,
    /// `queue = M`: how many acts may wait for a place.
    pub(crate) queue: u32,
    /// The handler function's name.
    pub(crate) ident: Ident,
    /// The type of the first argument, the input message.
    pub(crate) input: Type,
    /// The type of the second argument, which must be the `Context`, when there is one.
    pub(crate) context: Option<Type>,
    /// `T` when the return type is written `…Result<T, …>`, so that it can be checked alone.
    pub(crate) output: Option<Type>,
    /// `E` when the return type is written `…Result<T, E>`, so that `E: Into<ActError>` can be
    /// checked at the token the user wrote.
    pub(crate) error: Option<Type>,
    /// The function's `#[cfg(…)]` attributes: the registration exists only when the function does.
    pub(crate) cfgs: Vec<Attribute>,
}

/// Validates the parsed arguments and function, combining every error found in either.
pub(crate) fn handler(
    kind: Kind,
    args: syn::Result<Args>,
    item: syn::Result<ItemFn>,
) -> syn::Result<Handler> {
    let mut errors = Errors::default();
    let args = errors.ok(args);
    let item = errors.ok(item);
    if let Some(args) = &args {
        check_args(kind, args, &mut errors);
    }
    if let Some(item) = &item {
        check_signature(kind, &item.sig, &mut errors);
    }
    errors.finish()?;
    let (Some(args), Some(item)) = (args, item) else {
        unreachable!("a missing part is always reported as an error")
    };
    let mut types = item.sig.inputs.iter().filter_map(|arg| match arg {
        FnArg::Typed(arg) => Some(Type::clone(&arg.ty)),
        FnArg::Receiver(_) => None,
    });
    Ok(Handler {
        kind,
        krate: args.krate.unwrap_or_else(|| syn::parse_quote!(::porticus)),
        pattern: LitStr::new(args.pattern.value().trim(), args.pattern.span()),
        overrides: args.overrides.is_some(),
        idempotent: args.idempotent.is_some(),
        validate: args.validate.is_some(),
        schema: args.schema.is_some(),
        concurrency: args
            .concurrency
            .as_ref()
            .map(|(_, n)| n.base10_parse().expect("checked in check_args")),
        queue: args
            .queue
            .as_ref()
            .map_or(0, |(_, n)| n.base10_parse().expect("checked in check_args")),
        ident: item.sig.ident.clone(),
        input: types
            .next()
            .expect("a missing input is reported as an error"),
        context: types.next(),
        output: result_argument(&item.sig.output, 0),
        error: result_argument(&item.sig.output, 1),
        cfgs: item
            .attrs
            .into_iter()
            .filter(|attr| attr.path().is_ident("cfg"))
            .collect(),
    })
}

/// Checks the pattern text and the options.
fn check_args(kind: Kind, args: &Args, errors: &mut Errors) {
    if let Err(error) = pattern::parse(&args.pattern.value()) {
        errors.spanned(&args.pattern, format!("invalid pattern: {error}"));
    }
    if let (Kind::Event, Some(token)) = (kind, &args.overrides) {
        errors.spanned(
            token,
            "events never override: every subscriber receives each event, so remove `override`",
        );
    }
    if let (Kind::Event, Some(token)) = (kind, &args.idempotent) {
        errors.spanned(
            token,
            "`idempotent` is for actions: it lets a retry policy send an act again",
        );
    }
    for (key, value) in [&args.concurrency, &args.queue].into_iter().flatten() {
        if kind == Kind::Event {
            errors.spanned(
                key,
                format!("`{key}` is for actions: events are not limited per pattern"),
            );
            continue;
        }
        match value.base10_parse::<u32>() {
            Ok(0) if key == "concurrency" => errors.spanned(
                value,
                "`concurrency` must be at least 1 (leave it out for no limit)",
            ),
            Ok(_) => {}
            Err(_) => errors.spanned(
                value,
                format!("`{key}` must be a whole number from 0 to 4294967295"),
            ),
        }
    }
    if let (None, Some((key, _))) = (&args.concurrency, &args.queue) {
        errors.spanned(
            key,
            "`queue` needs `concurrency = N`: acts wait only when the limit is reached",
        );
    }
}

/// Checks that the function is a free, non-generic `async fn (input[, ctx]) -> Result<…>`.
fn check_signature(kind: Kind, sig: &Signature, errors: &mut Errors) {
    if let Some(token) = &sig.constness {
        errors.spanned(token, format!("{kind} handlers cannot be `const fn`"));
    }
    if sig.asyncness.is_none() {
        errors.spanned(
            sig.fn_token,
            format!("{kind} handlers must be `async fn`: add `async` before `fn`"),
        );
    }
    if let Some(token) = &sig.unsafety {
        errors.spanned(token, format!("{kind} handlers cannot be `unsafe fn`"));
    }
    if let Some(abi) = &sig.abi {
        errors.spanned(
            abi,
            format!("{kind} handlers cannot declare an ABI: remove the `extern`"),
        );
    }
    if !sig.generics.params.is_empty() {
        errors.spanned(
            &sig.generics,
            format!(
                "{kind} handlers cannot be generic: the input is deserialized into one concrete \
                 type"
            ),
        );
    }
    if let Some(clause) = &sig.generics.where_clause {
        errors.spanned(
            clause,
            format!("{kind} handlers cannot have a `where` clause: they cannot be generic"),
        );
    }
    check_inputs(kind, sig, errors);
    if let Some(variadic) = &sig.variadic {
        errors.spanned(variadic, format!("{kind} handlers cannot be variadic"));
    }
    if let ReturnType::Default = sig.output {
        let example = match kind {
            Kind::Action => "Result<Output, ActError>",
            Kind::Event => "Result<(), ActError>",
        };
        errors.spanned(
            sig,
            format!(
                "{kind} handlers must return `Result<Output, Error>` (where the error converts \
                 into `ActError`), e.g. `-> {example}`"
            ),
        );
    }
}

/// Checks the receiver and the number and kind of arguments.
fn check_inputs(kind: Kind, sig: &Signature, errors: &mut Errors) {
    let mut typed = 0;
    let mut extra = TokenStream::new();
    let mut has_receiver = false;
    for arg in &sig.inputs {
        match arg {
            FnArg::Receiver(receiver) => {
                has_receiver = true;
                errors.spanned(
                    receiver,
                    format!("{kind} must be on a free function, not a method"),
                );
            }
            FnArg::Typed(arg) => {
                typed += 1;
                if typed > 2 {
                    arg.to_tokens(&mut extra);
                } else if mentions(arg.ty.to_token_stream(), "impl") {
                    errors.spanned(
                        &arg.ty,
                        format!(
                            "{kind} handlers cannot be generic: `impl Trait` in an argument is a \
                             type parameter; name a concrete type"
                        ),
                    );
                }
            }
        }
    }
    if typed == 0 && !has_receiver {
        errors.push(syn::Error::new(
            sig.paren_token.span.join(),
            format!(
                "{kind} handlers take the input message and, optionally, the `Context`: \
                 `(req: Sum, ctx: Context)`"
            ),
        ));
    }
    if !extra.is_empty() {
        errors.spanned(
            extra,
            format!(
                "{kind} handlers take at most two arguments, the input message and, optionally, \
                 the `Context`: gather the fields into one `Deserialize` input type"
            ),
        );
    }
}

/// The type argument at `index` of a return type written `…Result<T, E>` (0 for `T`, 1 for
/// `E`), when it is written out and can be named in a turbofish.
fn result_argument(output: &ReturnType, index: usize) -> Option<Type> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let Type::Path(path) = &**ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if path.qself.is_some() || last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|arg| match arg {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    });
    match types.nth(index)? {
        ty if !mentions(ty.to_token_stream(), "impl") && !mentions(ty.to_token_stream(), "_") => {
            Some(ty.clone())
        }
        _ => None,
    }
}

/// Whether `tokens` contain the identifier `word`, at any depth.
fn mentions(tokens: TokenStream, word: &str) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(ident) => ident.unraw() == word,
        TokenTree::Group(group) => mentions(group.stream(), word),
        TokenTree::Punct(_) | TokenTree::Literal(_) => false,
    })
}

#[cfg(test)]
mod tests {
    use quote::quote;
    use syn::parse_quote;

    use super::*;

    fn args(tokens: TokenStream) -> syn::Result<Args> {
        crate::args::parse(Kind::Action, tokens)
    }

    fn valid(kind: Kind, item: ItemFn) -> Handler {
        handler(kind, args(quote!(" role:math,cmd:sum ")), Ok(item)).unwrap()
    }

    fn errors(kind: Kind, args: TokenStream, item: ItemFn) -> Vec<String> {
        let args = crate::args::parse(kind, args);
        match handler(kind, args, Ok(item)) {
            Ok(handler) => panic!("should be rejected, validated as {handler:?}"),
            Err(error) => error.into_iter().map(|error| error.to_string()).collect(),
        }
    }

    #[test]
    fn an_action_with_context() {
        let handler = valid(
            Kind::Action,
            parse_quote! {
                async fn sum(Sum { a, b }: Sum, ctx: porticus::Context) -> Result<Total, ActError> {
                    Ok(Total(a + b))
                }
            },
        );
        assert_eq!(handler.pattern.value(), "role:math,cmd:sum");
        assert_eq!(handler.ident, "sum");
        assert_eq!(handler.input, parse_quote!(Sum));
        assert_eq!(handler.context, Some(parse_quote!(porticus::Context)));
        assert_eq!(handler.output, Some(parse_quote!(Total)));
        assert_eq!(handler.error, Some(parse_quote!(ActError)));
        assert_eq!(handler.krate, parse_quote!(::porticus));
        assert!(!handler.overrides);
    }

    #[test]
    fn output_and_error_are_only_named_when_they_can_be() {
        let handler = valid(
            Kind::Action,
            parse_quote!(
                async fn f(v: Value) -> anyhow::Result<Vec<u8>> {}
            ),
        );
        assert_eq!(handler.context, None);
        assert_eq!(handler.output, Some(parse_quote!(Vec<u8>)));
        assert_eq!(handler.error, None);
        let handler = valid(
            Kind::Action,
            parse_quote!(
                async fn f(v: Value) -> Reply {}
            ),
        );
        assert_eq!(handler.output, None);
        let handler = valid(
            Kind::Action,
            parse_quote!(
                async fn f(v: Value) -> Result<Vec<impl Serialize>, E> {}
            ),
        );
        assert_eq!(handler.output, None);
        assert_eq!(handler.error, Some(parse_quote!(E)));
        let handler = valid(
            Kind::Action,
            parse_quote!(
                async fn f(v: Value) -> std::result::Result<u8, Box<dyn Error + Send>> {}
            ),
        );
        assert_eq!(handler.output, Some(parse_quote!(u8)));
        assert_eq!(handler.error, Some(parse_quote!(Box<dyn Error + Send>)));
        let handler = valid(
            Kind::Action,
            parse_quote!(
                async fn f(v: Value) -> Result<u8, _> {}
            ),
        );
        assert_eq!(handler.error, None);
    }

    #[test]
    fn options_reach_the_handler() {
        let handler = handler(
            Kind::Action,
            args(quote!("a:1", override, crate = "facade::porticus")),
            Ok(parse_quote!(
                async fn f(v: Value) -> Result<(), E> {}
            )),
        )
        .unwrap();
        assert!(handler.overrides);
        assert_eq!(handler.krate, parse_quote!(facade::porticus));
    }

    #[test]
    fn events_never_override() {
        assert_eq!(
            errors(
                Kind::Event,
                quote!("event:shipped", override),
                parse_quote!(
                    async fn f(v: Value) -> Result<(), E> {}
                )
            ),
            ["events never override: every subscriber receives each event, so remove `override`"]
        );
    }

    #[test]
    fn resilience_arguments_are_checked() {
        let f = || -> ItemFn {
            parse_quote!(
                async fn f(v: Value) -> Result<(), E> {}
            )
        };
        let ok = handler(
            Kind::Action,
            args(quote!("a:1", idempotent, concurrency = 4, queue = 8)),
            Ok(f()),
        )
        .unwrap();
        assert!(ok.idempotent);
        assert_eq!((ok.concurrency, ok.queue), (Some(4), 8));
        assert_eq!(
            errors(
                Kind::Action,
                quote!("a:1", concurrency = 0, queue = 99999999999),
                f()
            ),
            [
                "`concurrency` must be at least 1 (leave it out for no limit)",
                "`queue` must be a whole number from 0 to 4294967295",
            ]
        );
        assert_eq!(
            errors(Kind::Action, quote!("a:1", queue = 2), f()),
            ["`queue` needs `concurrency = N`: acts wait only when the limit is reached"]
        );
        assert_eq!(
            errors(
                Kind::Event,
                quote!("event:x", idempotent, concurrency = 2),
                f()
            ),
            [
                "`idempotent` is for actions: it lets a retry policy send an act again",
                "`concurrency` is for actions: events are not limited per pattern",
            ]
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        assert_eq!(
            errors(
                Kind::Action,
                quote!("role:math,cmd", verbose),
                parse_quote!(
                    const unsafe extern "C" fn f<T>(&self, a: A, b: B, c: C)
                    where
                        T: Copy,
                    {
                    }
                )
            ),
            [
                "unknown argument: expected `override`, `idempotent`, `validate`, `schema`, `concurrency = N`, `queue = N` or `crate = \"path\"`",
                "#[action] handlers cannot be `const fn`",
                "#[action] handlers must be `async fn`: add `async` before `fn`",
                "#[action] handlers cannot be `unsafe fn`",
                "#[action] handlers cannot declare an ABI: remove the `extern`",
                "#[action] handlers cannot be generic: the input is deserialized into one \
                 concrete type",
                "#[action] handlers cannot have a `where` clause: they cannot be generic",
                "#[action] must be on a free function, not a method",
                "#[action] handlers take at most two arguments, the input message and, \
                 optionally, the `Context`: gather the fields into one `Deserialize` input type",
                "#[action] handlers must return `Result<Output, Error>` (where the error \
                 converts into `ActError`), e.g. `-> Result<Output, ActError>`",
            ]
        );
    }

    #[test]
    fn bad_patterns_and_bad_inputs() {
        assert_eq!(
            errors(
                Kind::Event,
                quote!("event:shipped,,timeout$:10"),
                parse_quote!(
                    async fn f() {}
                )
            ),
            [
                "invalid pattern: expected a key but found `,` at character 15",
                "#[event] handlers take the input message and, optionally, the `Context`: \
                 `(req: Sum, ctx: Context)`",
                "#[event] handlers must return `Result<Output, Error>` (where the error converts \
                 into `ActError`), e.g. `-> Result<(), ActError>`",
            ]
        );
        assert_eq!(
            errors(
                Kind::Action,
                quote!("a:1"),
                parse_quote!(
                    async fn f(v: Vec<impl Deserialize>) -> Result<(), E> {}
                )
            ),
            [
                "#[action] handlers cannot be generic: `impl Trait` in an argument is a type \
              parameter; name a concrete type"
            ]
        );
    }

    #[test]
    fn a_receiver_alone_is_not_also_a_missing_input() {
        assert_eq!(
            errors(
                Kind::Action,
                quote!("a:1"),
                parse_quote!(
                    async fn f(&self) -> Result<(), E> {}
                )
            ),
            ["#[action] must be on a free function, not a method"]
        );
    }
}
