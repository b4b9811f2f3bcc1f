//! Code generation: the original function followed by its registration record.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{ItemFn, LitStr};

use crate::args;
use crate::kind::Kind;
use crate::validate::{self, Handler};

/// Expands one `#[action]` / `#[event]`: parse, then validate, then generate.
pub(crate) fn attribute(
    kind: Kind,
    args: TokenStream,
    item: TokenStream,
) -> syn::Result<TokenStream> {
    let args = args::parse(kind, args);
    let function = syn::parse2::<ItemFn>(item.clone()).map_err(|error| {
        syn::Error::new(
            error.span(),
            format!("{kind} must be on an `async fn` with a body ({error})"),
        )
    });
    let handler = validate::handler(kind, args, function)?;
    Ok(registration(item, &handler))
}

/// The function, unchanged, followed by its registration in a `const _` block.
fn registration(function: TokenStream, handler: &Handler) -> TokenStream {
    let Handler {
        kind,
        krate,
        pattern,
        overrides,
        idempotent,
        validate,
        schema,
        concurrency,
        queue,
        ident,
        input,
        context,
        output,
        error,
        cfgs,
    } = handler;
    let name = LitStr::new(&ident.unraw().to_string(), ident.span());
    let concurrency = match concurrency {
        Some(limit) => quote!(::core::option::Option::Some(#limit)),
        None => quote!(::core::option::Option::None),
    };
    let adapter = kind.adapter(ident.span());
    let variant = kind.variant();
    let mut make = if *validate {
        validated(handler)
    } else {
        quote_spanned! {ident.span()=>
            #krate::__private::#adapter(#ident)
        }
    };
    if *schema {
        make = match kind {
            Kind::Action => quote_spanned! {input.span()=>
                #krate::__private::action_schemas::<#input, _, _>(#make, &#ident)
            },
            Kind::Event => quote_spanned! {input.span()=>
                #krate::__private::event_schemas::<#input>(#make)
            },
        };
    }
    let mut checks = quote_spanned! {input.span()=>
        #krate::__private::assert_input::<#input>();
    };
    if let Some(context) = context {
        checks.extend(quote_spanned! {context.span()=>
            #krate::__private::assert_context::<#context>();
        });
    }
    if let (Kind::Action, Some(output)) = (kind, output) {
        checks.extend(quote_spanned! {output.span()=>
            #krate::__private::assert_output::<#output>();
        });
    }
    if let Some(error) = error {
        // Spanned at the error type, so that rustc points at it rather than at the function.
        checks.extend(quote! {
            fn __porticus_assert_error<E: ::core::convert::Into<#krate::ActError>>() {}
        });
        checks.extend(quote_spanned! {error.span()=>
            __porticus_assert_error::<#error>();
        });
    }
    quote! {
        #function

        #(#cfgs)*
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        const _: () = {
            #[allow(dead_code)]
            fn __porticus_check() {
                #checks
            }

            fn __porticus_make() -> #krate::__private::BoxHandler {
                #make
            }

            fn __porticus_item() -> ::core::any::TypeId {
                #krate::__private::type_id_of(&#ident)
            }

            #krate::__private::inventory::submit! {
                #krate::__private::Registration {
                    pattern: #pattern,
                    kind: #krate::__private::Kind::#variant,
                    name: #name,
                    module: ::core::module_path!(),
                    file: ::core::file!(),
                    line: ::core::line!(),
                    overrides: #overrides,
                    idempotent: #idempotent,
                    concurrency: #concurrency,
                    queue: #queue,
                    make: __porticus_make,
                    item: __porticus_item,
                }
            }
        };
    }
}

/// The handler wrapped so that its decoded input is validated before it runs (`validate`): a
/// closure taking the input and the `Context`, so that types which do not opt in pay nothing.
fn validated(handler: &Handler) -> TokenStream {
    let Handler {
        kind,
        krate,
        ident,
        input,
        context,
        ..
    } = handler;
    let adapter = kind.adapter(ident.span());
    let call = if context.is_some() {
        quote!(#ident(__porticus_input, __porticus_ctx))
    } else {
        quote!(#ident(__porticus_input))
    };
    let check = quote_spanned! {input.span()=>
        #krate::__private::validate::<#input>(&__porticus_input, &__porticus_ctx)
    };
    quote_spanned! {ident.span()=>
        #krate::__private::#adapter(
            |__porticus_input: #input, __porticus_ctx: #krate::__private::Context| async move {
                match #check {
                    ::core::result::Result::Ok(()) => #call
                        .await
                        .map_err(|error| -> #krate::ActError { ::core::convert::Into::into(error) }),
                    ::core::result::Result::Err(error) => ::core::result::Result::Err(error),
                }
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> String {
        attribute(kind, args, item).unwrap().to_string()
    }

    #[test]
    fn an_action_with_context() {
        let expanded = expand(
            Kind::Action,
            quote!(" role:math,cmd:sum "),
            quote!(
                async fn sum(req: Sum, ctx: Context) -> Result<Total, ActError> {
                    ctx.act(req).await
                }
            ),
        );
        let expected = quote! {
            async fn sum(req: Sum, ctx: Context) -> Result<Total, ActError> {
                ctx.act(req).await
            }

            #[doc(hidden)]
            #[allow(non_upper_case_globals)]
            const _: () = {
                #[allow(dead_code)]
                fn __porticus_check() {
                    ::porticus::__private::assert_input::<Sum>();
                    ::porticus::__private::assert_context::<Context>();
                    ::porticus::__private::assert_output::<Total>();
                    fn __porticus_assert_error<E: ::core::convert::Into<::porticus::ActError>>() {}
                    __porticus_assert_error::<ActError>();
                }

                fn __porticus_make() -> ::porticus::__private::BoxHandler {
                    ::porticus::__private::action(sum)
                }

                fn __porticus_item() -> ::core::any::TypeId {
                    ::porticus::__private::type_id_of(&sum)
                }

                ::porticus::__private::inventory::submit! {
                    ::porticus::__private::Registration {
                        pattern: "role:math,cmd:sum",
                        kind: ::porticus::__private::Kind::Action,
                        name: "sum",
                        module: ::core::module_path!(),
                        file: ::core::file!(),
                        line: ::core::line!(),
                        overrides: false,
                        idempotent: false,
                        concurrency: ::core::option::Option::None,
                        queue: 0u32,
                        make: __porticus_make,
                        item: __porticus_item,
                    }
                }
            };
        };
        assert_eq!(expanded, expected.to_string());
    }

    #[test]
    fn an_overriding_action_through_a_facade() {
        let expanded = expand(
            Kind::Action,
            quote!("a:1", override, crate = "facade::porticus"),
            quote!(
                async fn r#type(v: Value) -> Reply {
                    Reply::from(v)
                }
            ),
        );
        assert!(expanded.contains("facade :: porticus :: __private :: action (r#type)"));
        assert!(expanded.contains("name : \"type\""));
        assert!(expanded.contains("overrides : true"));
        assert!(expanded.contains("assert_input :: < Value > ()"));
        assert!(!expanded.contains("assert_context"));
        assert!(!expanded.contains("assert_output"));
        assert_eq!(
            expanded.matches(":: porticus :: __private").count(),
            expanded.matches("facade :: porticus :: __private").count(),
        );
    }

    #[test]
    fn validate_wraps_the_handler_and_schema_attaches_schemas() {
        let expanded = expand(
            Kind::Action,
            quote!("a:1", validate, schema),
            quote!(
                async fn charge(req: Charge, ctx: Context) -> Result<Receipt, ActError> {
                    Ok(Receipt)
                }
            ),
        );
        assert!(expanded.contains(
            ":: porticus :: __private :: validate :: < Charge > (& __porticus_input , & __porticus_ctx)"
        ));
        assert!(expanded.contains("charge (__porticus_input , __porticus_ctx) . await"));
        assert!(expanded.contains(
            ":: porticus :: __private :: action_schemas :: < Charge , _ , _ > (:: porticus :: __private :: action ("
        ));
        let plain = expand(
            Kind::Event,
            quote!("event:paid", schema),
            quote!(
                async fn paid(ev: Paid) -> Result<(), ActError> {
                    Ok(())
                }
            ),
        );
        assert!(plain.contains(
            ":: porticus :: __private :: event_schemas :: < Paid > (:: porticus :: __private :: event (paid))"
        ));
        assert!(!plain.contains("validate"));
    }

    #[test]
    fn an_event() {
        let expanded = expand(
            Kind::Event,
            quote!("event:shipped"),
            quote!(
                async fn notify(ev: Shipped) -> Result<(), ActError> {
                    Ok(())
                }
            ),
        );
        assert!(expanded.contains(":: porticus :: __private :: event (notify)"));
        assert!(expanded.contains("kind : :: porticus :: __private :: Kind :: Event"));
        assert!(!expanded.contains("assert_output"));
    }

    #[test]
    fn the_registration_follows_the_functions_cfg() {
        let expanded = expand(
            Kind::Action,
            quote!("a:1"),
            quote! {
                #[doc = "kept"]
                #[cfg(feature = "x")]
                async fn f(v: Value) -> Reply { Reply::from(v) }
            },
        );
        let registration = expanded.split("async fn f").nth(1).unwrap();
        assert!(registration.contains("# [cfg (feature = \"x\")] # [doc (hidden)]"));
        assert!(!registration.contains("kept"));
    }

    #[test]
    fn not_a_function() {
        let error = attribute(
            Kind::Action,
            quote!("a:1"),
            quote!(
                struct Sum;
            ),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "#[action] must be on an `async fn` with a body (expected `fn`)"
        );
    }
}
