//! Hostile and edge-case templates: every failure is a typed [`ChatError`],
//! never a hang or a panic; and the Python helpers transformers provides.

use super::python::{python_float_repr, strftime};
use super::{ChatError, ChatMessage, ChatTemplate, SpecialTokens, RENDER_LIMITS};

fn render(source: &str) -> Result<String, ChatError> {
    ChatTemplate::new(source, SpecialTokens::default())?
        .render(&[ChatMessage::new("user", "hi")], true)
}

#[test]
fn a_syntax_error_is_typed_with_its_line() {
    let err = ChatTemplate::new(
        "line one\n{% for m in messages %}{{ m.content }}",
        SpecialTokens::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, ChatError::Syntax { message } if message.contains("line")),
        "{err:?}"
    );
    for bad in [
        "{{ }}",
        "{% if %}",
        "{{ messages[ }}",
        "{% endfor %}",
        "{{ 1 + }}",
    ] {
        assert!(
            matches!(render(bad), Err(ChatError::Syntax { .. })),
            "{bad}"
        );
    }
}

#[test]
fn raise_exception_is_the_templates_message() {
    let err = render("{{ raise_exception('Conversation roles must alternate') }}").unwrap_err();
    assert_eq!(
        err,
        ChatError::Raised {
            message: "Conversation roles must alternate".into()
        }
    );
}

#[test]
fn a_runaway_loop_runs_out_of_fuel() {
    let source = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}";
    let start = std::time::Instant::now();
    assert_eq!(
        render(source).unwrap_err(),
        ChatError::OutOfFuel {
            fuel: RENDER_LIMITS.fuel
        }
    );
    assert!(start.elapsed().as_secs() < 60, "{:?}", start.elapsed());
}

#[test]
fn unbounded_recursion_is_an_error_not_a_stack_overflow() {
    let source = "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}";
    assert!(
        matches!(render(source), Err(ChatError::Render { .. })),
        "{:?}",
        render(source)
    );
    let deep = format!("{}1{}", "(".repeat(5000), ")".repeat(5000));
    let source = format!("{{{{ {deep} }}}}");
    assert!(render(&source).is_err());
    let nested = format!(
        "{}x{}",
        "{% if true %}".repeat(3000),
        "{% endif %}".repeat(3000)
    );
    assert!(render(&nested).is_err());
}

#[test]
fn huge_output_is_refused() {
    let source = "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}";
    assert_eq!(
        render(source).unwrap_err(),
        ChatError::OutputTooLarge {
            limit: RENDER_LIMITS.output_bytes
        }
    );
    assert!(render("{{ 'x' * 1000000000000 }}").is_err());
}

#[test]
fn unknown_filters_and_methods_are_render_errors() {
    for source in [
        "{{ messages | no_such_filter }}",
        "{{ messages[0].content.no_such_method() }}",
        "{{ no_such_fn() }}",
    ] {
        let err = render(source).unwrap_err();
        assert!(
            matches!(err, ChatError::Render { .. } | ChatError::Syntax { .. }),
            "{source}: {err:?}"
        );
    }
}

#[test]
fn special_tokens_are_defined_only_when_set() {
    let source =
        "{% if bos_token is defined %}{{ bos_token }}{% else %}none{% endif %}|{{ eos_token }}";
    let special = SpecialTokens {
        eos_token: Some("</s>".into()),
        ..Default::default()
    };
    let out = ChatTemplate::new(source, special)
        .unwrap()
        .render(&[], false)
        .unwrap();
    assert_eq!(out, "none|</s>");
}

#[test]
fn python_string_methods_and_tojson_work_as_in_transformers() {
    let out = render(
        "{{ '  a b  '.strip() }}|{{ 'abc'.startswith('ab') }}|{{ 'x,y'.split(',') | join('+') }}",
    )
    .unwrap();
    assert_eq!(out, "a b|True|x+y"); // Python prints True, as jinja2 does
    let out =
        render(r#"{{ {"a": "<é>\n", "b": [1, 2.5, none, true, 1e-7, 1e20]} | tojson }}"#).unwrap();
    assert_eq!(
        out,
        r#"{"a": "<é>\n", "b": [1, 2.5, null, true, 1e-07, 1e+20]}"#
    );
    let out = render(r#"{{ {"z": [], "a": {"k": 1}} | tojson(indent=2) }}"#).unwrap();
    assert_eq!(out, "{\n  \"z\": [],\n  \"a\": {\n    \"k\": 1\n  }\n}");
    let out =
        render(r#"{{ {"z": 1, "a": "é"} | tojson(sort_keys=true, ensure_ascii=true) }}"#).unwrap();
    assert_eq!(out, r#"{"a": "\u00e9", "z": 1}"#);
}

#[test]
fn floats_print_as_python_repr() {
    for (f, want) in [
        (0.1, "0.1"),
        (1.0, "1.0"),
        (1e16, "1e+16"),
        (1.5e-5, "1.5e-05"),
        (123456.789, "123456.789"),
        (-0.0001, "-0.0001"),
    ] {
        assert_eq!(python_float_repr(f), want, "{f}");
    }
}

#[test]
fn strftime_formats_utc_dates() {
    // 2024-07-26 13:05:09 UTC, a Friday; 2000-02-29 00:00:00, a Tuesday.
    assert_eq!(strftime("%d %b %Y", 1_722_085_509 - 86_400), "26 Jul 2024");
    assert_eq!(
        strftime("%Y-%m-%d %H:%M:%S %A %j %-d %I%p %%", 1_721_999_109),
        "2024-07-26 13:05:09 Friday 208 26 01PM %"
    );
    assert_eq!(strftime("%a %B %e %y", 951_782_400), "Tue February 29 00");
}
