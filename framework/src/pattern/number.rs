//! ECMAScript `Number::toString` (radix 10), into a stack buffer.

use std::fmt::{self, Write as _};

use serde_json::Number;

/// 2^53: integers up to this magnitude are exact in a JavaScript number.
const MAX_SAFE_INTEGER: u64 = 1 << 53;

/// A formatted number, held inline (the longest JavaScript number text is 25 bytes).
#[derive(Clone, Copy)]
pub(crate) struct NumberText {
    buf: [u8; 32],
    len: usize,
}

impl NumberText {
    fn new() -> Self {
        Self {
            buf: [0; 32],
            len: 0,
        }
    }

    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII is ever written (digits, `.`, `-`, `+`, `e`, letters of `NaN`/`Infinity`).
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

impl fmt::Write for NumberText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let slot = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl fmt::Debug for NumberText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `String(n)` of a JSON number, as JavaScript sees it after `JSON.parse` (integers beyond
/// 2^53 lose precision exactly as they do in JavaScript).
pub(crate) fn js_number(number: &Number) -> NumberText {
    let mut out = NumberText::new();
    // At most 25 ASCII bytes go into a 32-byte buffer: writing cannot fail.
    let _ = match (number.as_u64(), number.as_i64()) {
        (Some(n), _) if n <= MAX_SAFE_INTEGER => write!(out, "{n}"),
        (_, Some(n)) if n.unsigned_abs() <= MAX_SAFE_INTEGER => write!(out, "{n}"),
        _ => write_js_f64(&mut out, number.as_f64().unwrap_or(f64::NAN)),
    };
    out
}

/// ECMAScript `Number::toString(x)`: the shortest digits that round-trip (the even one of two
/// equally close), plain notation for decimal exponents in `[-7, 21)`, otherwise `d.ddde±n`.
pub(crate) fn write_js_f64(out: &mut impl fmt::Write, x: f64) -> fmt::Result {
    if x.is_nan() {
        return out.write_str("NaN");
    }
    if x == 0.0 {
        return out.write_str("0"); // also -0
    }
    if x.is_infinite() {
        return out.write_str(if x < 0.0 { "-Infinity" } else { "Infinity" });
    }
    let (digits, last_exponent) = shortest_digits(x.abs())?;
    let mut text = NumberText::new();
    write!(text, "{digits}")?;
    let digits = text.as_str();
    // x = 0.d1d2…dk × 10^n
    let k = digits.len() as i32;
    let n = last_exponent + k;
    if x < 0.0 {
        out.write_char('-')?;
    }
    if k <= n && n <= 21 {
        out.write_str(digits)?;
        (0..n - k).try_for_each(|_| out.write_char('0'))
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        write!(out, "{int}.{frac}")
    } else if -6 < n && n <= 0 {
        out.write_str("0.")?;
        (0..-n).try_for_each(|_| out.write_char('0'))?;
        out.write_str(digits)
    } else {
        let (first, rest) = digits.split_at(1);
        out.write_str(first)?;
        if !rest.is_empty() {
            write!(out, ".{rest}")?;
        }
        let sign = if n - 1 < 0 { '-' } else { '+' };
        write!(out, "e{sign}{}", (n - 1).unsigned_abs())
    }
}

/// The shortest round-trip digits of a positive finite `x` as `(digits, p)`, x ≈ digits × 10^p.
///
/// Rust's `{:e}` gives shortest digits but breaks an exact tie between two candidates upwards;
/// ECMAScript takes the even one.
fn shortest_digits(x: f64) -> Result<(u64, i32), fmt::Error> {
    let mut sci = NumberText::new();
    write!(sci, "{x:e}")?;
    let (mantissa, exponent) = sci.as_str().split_once('e').ok_or(fmt::Error)?;
    let exponent: i32 = exponent.parse().map_err(|_| fmt::Error)?;
    let (head, tail) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: u64 = head
        .bytes()
        .chain(tail.bytes())
        .fold(0, |acc, b| acc * 10 + u64::from(b - b'0'));
    let p = exponent - tail.len() as i32;
    if digits.is_multiple_of(2) {
        return Ok((digits, p));
    }
    for candidate in [digits - 1, digits + 1] {
        let midpoint = (u128::from(digits) + u128::from(candidate)) * 5; // × 10^(p−1)
        if candidate % 10 != 0 && equals_decimal(x, midpoint, p - 1) && round_trips(x, candidate, p)
        {
            return Ok((candidate, p));
        }
    }
    Ok((digits, p))
}

/// Whether `candidate × 10^p` parses back to `x`.
fn round_trips(x: f64, candidate: u64, p: i32) -> bool {
    let mut text = NumberText::new();
    write!(text, "{candidate}e{p}").is_ok() && text.as_str().parse::<f64>() == Ok(x)
}

/// Whether the positive finite `x` is exactly `n × 10^q`.
fn equals_decimal(x: f64, n: u128, q: i32) -> bool {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = u128::from(bits & ((1 << 52) - 1));
    // x = m × 2^e
    let (m, e) = match biased {
        0 => (fraction, -1074),
        _ => (fraction | (1 << 52), biased - 1075),
    };
    // m × 2^e = n × 5^q × 2^q: compare m × 2^(e−q) with n × 5^q, moving the power of 5 to the
    // left side when q < 0. An overflow means the two cannot be equal (a double's mantissa
    // holds no large power of 5, a short decimal no large power of 2).
    let five = |power: i32| 5u128.checked_pow(power.unsigned_abs());
    let (lhs, rhs) = if q >= 0 {
        (Some(m), five(q).and_then(|f| n.checked_mul(f)))
    } else {
        (five(q).and_then(|f| m.checked_mul(f)), Some(n))
    };
    let (Some(lhs), Some(rhs)) = (lhs, rhs) else {
        return false;
    };
    let shift = e - q;
    if shift >= 0 {
        shift_left(lhs, shift) == Some(rhs)
    } else {
        shift_left(rhs, -shift) == Some(lhs)
    }
}

fn shift_left(value: u128, by: i32) -> Option<u128> {
    let by = u32::try_from(by).ok()?;
    (by < 128 && value.leading_zeros() >= by).then(|| value << by)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(x: f64) -> String {
        let mut out = String::new();
        write_js_f64(&mut out, x).unwrap();
        out
    }

    fn n(json: &str) -> String {
        let number: Number = serde_json::from_str(json).unwrap();
        js_number(&number).as_str().to_owned()
    }

    #[test]
    fn integers() {
        assert_eq!(n("0"), "0");
        assert_eq!(n("1"), "1");
        assert_eq!(n("-42"), "-42");
        assert_eq!(n("9007199254740992"), "9007199254740992");
        assert_eq!(n("-9007199254740992"), "-9007199254740992");
        // Beyond 2^53 JavaScript rounds to the nearest double.
        assert_eq!(n("9007199254740993"), "9007199254740992");
        assert_eq!(n("18446744073709551615"), "18446744073709552000");
        assert_eq!(n("-9223372036854775808"), "-9223372036854776000");
        assert_eq!(n("1.0"), "1");
        assert_eq!(n("-0.0"), "0");
        assert_eq!(n("1e3"), "1000");
    }

    #[test]
    fn floats_follow_number_to_string() {
        assert_eq!(f(1.0), "1");
        assert_eq!(f(1.5), "1.5");
        assert_eq!(f(-2.5), "-2.5");
        assert_eq!(f(-0.0), "0");
        assert_eq!(f(0.1), "0.1");
        assert_eq!(f(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(f(123456.789), "123456.789");
        assert_eq!(f(1e20), "100000000000000000000");
        assert_eq!(f(1e21), "1e+21");
        assert_eq!(f(1.5e21), "1.5e+21");
        assert_eq!(f(123e20), "1.23e+22");
        assert_eq!(f(1e-6), "0.000001");
        assert_eq!(f(1.5e-6), "0.0000015");
        assert_eq!(f(1e-7), "1e-7");
        assert_eq!(f(-1.25e-7), "-1.25e-7");
        assert_eq!(f(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(f(f64::MIN_POSITIVE), "2.2250738585072014e-308");
        assert_eq!(f(5e-324), "5e-324");
        assert_eq!(f(-1.2345678901234567e-7), "-1.2345678901234566e-7");
        assert_eq!(f(-1.2345678901234567e-300), "-1.2345678901234568e-300");
        assert_eq!(f(-1.2345678901234567e-6), "-0.0000012345678901234567");
        assert_eq!(f(f64::NAN), "NaN");
        assert_eq!(f(f64::INFINITY), "Infinity");
        assert_eq!(f(f64::NEG_INFINITY), "-Infinity");
    }

    /// Values exactly between two shortest candidates take the even digit (checked with node).
    #[test]
    fn ties_take_the_even_digit() {
        assert_eq!(f(-1565554392649424.0 - 0.25), "-1565554392649424.2");
        assert_eq!(f(985681043366917.0 + 0.25), "985681043366917.2");
        assert_eq!(f(2156593833205300.0 + 0.25), "2156593833205300.2");
        assert_eq!(f(1565554392649424.0 + 0.75), "1565554392649424.8");
        assert_eq!(f(2.5), "2.5");
    }

    #[test]
    fn exact_decimal_equality() {
        assert!(equals_decimal(0.5, 5, -1));
        assert!(equals_decimal(
            1565554392649424.0 + 0.25,
            156555439264942425,
            -2
        ));
        assert!(!equals_decimal(0.1, 1, -1));
        assert!(equals_decimal(1e21, 1, 21));
        assert!(!equals_decimal(1e300, 1, 300));
        assert!(equals_decimal(1024.0, 1024, 0));
        assert!(equals_decimal(1024.0, 1024000, -3));
        assert!(!equals_decimal(1024.0, 1025, 0));
    }
}
