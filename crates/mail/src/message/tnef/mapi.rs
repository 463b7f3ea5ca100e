//! MAPI property lists as TNEF carries them (MS-OXTNEF 2.1.3.4): the message's properties
//! (attMsgProps) and each attachment's (attAttachment).
//!
//! A list is a count, then per property its type and id, for a named property (id 0x8000 and
//! up) a GUID and a number or a UTF-16 name, then the value: fixed-size values in 4, 8 or 16
//! bytes (16-bit ones padded to 4), variable-size ones as a count of values, each a length,
//! the bytes and padding to 4. Multi-valued properties (type | 0x1000) carry a count first.
//! Values borrow from the input; nothing is allocated from a count or length the input
//! claims before the bytes are there.

use std::borrow::Cow;

use super::codepage;

/// The flag on a property type that makes it multi-valued.
pub const MULTI: u16 = 0x1000;

pub const PT_I16: u16 = 0x0002;
pub const PT_I32: u16 = 0x0003;
pub const PT_F32: u16 = 0x0004;
pub const PT_F64: u16 = 0x0005;
pub const PT_CURRENCY: u16 = 0x0006;
pub const PT_APPTIME: u16 = 0x0007;
pub const PT_ERROR: u16 = 0x000A;
pub const PT_BOOL: u16 = 0x000B;
pub const PT_OBJECT: u16 = 0x000D;
pub const PT_I64: u16 = 0x0014;
pub const PT_STRING8: u16 = 0x001E;
pub const PT_UNICODE: u16 = 0x001F;
pub const PT_SYSTIME: u16 = 0x0040;
pub const PT_CLSID: u16 = 0x0048;
pub const PT_BINARY: u16 = 0x0102;

/// One value of a property.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    I16(i16),
    I32(i32),
    I64(i64),
    Bool(bool),
    F32(f32),
    F64(f64),
    /// Currency: a fixed-point number, 1/10,000 units.
    Currency(i64),
    /// An OLE automation date.
    AppTime(f64),
    Error(u32),
    /// A FILETIME: 100-nanosecond ticks since 1601-01-01 UTC.
    Time(u64),
    Guid([u8; 16]),
    /// 8-bit text in the message's code page, without its terminating NULs.
    String8(&'a [u8]),
    Unicode(String),
    Binary(&'a [u8]),
    /// An object: the IID of its interface (16 bytes), then its data.
    Object(&'a [u8]),
    Multi(Vec<Value<'a>>),
}

/// How a named property is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Name {
    Id(u32),
    Text(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Property<'a> {
    /// The property id (the upper half of a property tag).
    pub id: u16,
    /// The value type, without the multi-valued flag.
    pub kind: u16,
    /// For ids from 0x8000: the property set's GUID and the name within it.
    pub named: Option<([u8; 16], Name)>,
    pub value: Value<'a>,
}

/// A decoded list. `problem` says where and why decoding stopped early; the properties before
/// that point are kept.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct List<'a> {
    pub properties: Vec<Property<'a>>,
    pub problem: Option<String>,
}

impl<'a> List<'a> {
    /// The value of an ordinary (not named) property.
    pub fn get(&self, id: u16) -> Option<&Value<'a>> {
        self.properties.iter().find(|p| p.id == id && p.named.is_none()).map(|p| &p.value)
    }

    /// A string property as text (8-bit ones in code page `cp`); None when absent, not a
    /// string, or empty.
    pub fn text(&self, id: u16, cp: u32) -> Option<String> {
        let text = match self.get(id)? {
            Value::String8(bytes) => codepage::decode(bytes, cp).0,
            Value::Unicode(text) => Cow::Borrowed(text.as_str()),
            _ => return None,
        };
        let text = text.trim_end_matches('\0');
        (!text.is_empty()).then(|| text.to_string())
    }

    pub fn int(&self, id: u16) -> Option<i64> {
        match self.get(id)? {
            Value::I16(n) => Some(i64::from(*n)),
            Value::I32(n) => Some(i64::from(*n)),
            Value::I64(n) => Some(*n),
            _ => None,
        }
    }
}

/// A cursor over bytes that never reads past the end: every read is an Option.
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Cursor { data, pos: 0 }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let bytes = self.data.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(bytes)
    }

    /// Skips up to `n` bytes (padding at the very end may be missing).
    pub(crate) fn skip(&mut self, n: usize) {
        self.pos += n.min(self.remaining());
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        Some(self.array::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.array().map(u16::from_le_bytes)
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_le_bytes)
    }

    /// A u32 length or count as usize.
    fn len(&mut self) -> Option<usize> {
        self.u32().and_then(|n| usize::try_from(n).ok())
    }
}

/// Decodes a property list.
pub fn parse(data: &[u8]) -> List<'_> {
    list(&mut Cursor::new(data))
}

/// Decodes a table of property lists (attRecipTable: a count of rows, then a list per row),
/// keeping at most `max` rows. The second value says where and why decoding stopped early.
pub fn parse_rows(data: &[u8], max: usize) -> (Vec<List<'_>>, Option<String>) {
    let mut c = Cursor::new(data);
    let Some(count) = c.u32() else { return (Vec::new(), Some("the table is empty".into())) };
    let mut rows = Vec::new();
    // The count is only trusted row by row.
    for index in 0..count {
        if rows.len() == max {
            return (rows, Some(format!("only the first {max} of its {count} rows were read")));
        }
        let row = list(&mut c);
        if let Some(problem) = row.problem {
            return (rows, Some(format!("row {} of {count}: {problem}", index + 1)));
        }
        rows.push(row);
    }
    (rows, None)
}

fn list<'a>(c: &mut Cursor<'a>) -> List<'a> {
    let mut list = List::default();
    let Some(count) = c.u32() else {
        list.problem = Some("the property list is empty".into());
        return list;
    };
    for index in 0..count {
        let at = c.pos();
        match property(c) {
            Ok(property) => list.properties.push(property),
            Err(why) => {
                list.problem = Some(format!(
                    "property {} of {count} (at byte {at}) {why}; the rest of the list was skipped",
                    index + 1
                ));
                break;
            }
        }
    }
    list
}

const CUT: &str = "is cut short";

fn property<'a>(c: &mut Cursor<'a>) -> Result<Property<'a>, String> {
    let kind = c.u16().ok_or(CUT)?;
    let id = c.u16().ok_or(CUT)?;
    let named = if id >= 0x8000 { Some(name(c)?) } else { None };
    let base = kind & !MULTI;
    let value = if kind & MULTI != 0 || is_variable(base) {
        // A count of values, whatever it claims, is only trusted value by value.
        let count = c.u32().ok_or(CUT)?;
        let mut values = Vec::new();
        for _ in 0..count {
            values.push(value(c, base)?);
        }
        if kind & MULTI == 0 && values.len() == 1 { values.pop().ok_or(CUT)? } else { Value::Multi(values) }
    } else {
        value(c, base)?
    };
    Ok(Property { id, kind: base, named, value })
}

fn name(c: &mut Cursor<'_>) -> Result<([u8; 16], Name), String> {
    let guid = c.array::<16>().ok_or(CUT)?;
    let name = match c.u32().ok_or(CUT)? {
        0 => Name::Id(c.u32().ok_or(CUT)?),
        _ => {
            let len = c.len().ok_or(CUT)?;
            let bytes = c.take(len).ok_or("has a name longer than the list")?;
            c.skip(padding(len));
            Name::Text(utf16(bytes))
        }
    };
    Ok((guid, name))
}

fn is_variable(kind: u16) -> bool {
    matches!(kind, PT_STRING8 | PT_UNICODE | PT_BINARY | PT_OBJECT)
}

fn padding(len: usize) -> usize {
    (4 - len % 4) % 4
}

fn value<'a>(c: &mut Cursor<'a>, kind: u16) -> Result<Value<'a>, String> {
    let value = match kind {
        PT_I16 | PT_BOOL => {
            let n = c.u16().ok_or(CUT)?;
            c.skip(2);
            match kind {
                PT_BOOL => Value::Bool(n != 0),
                _ => Value::I16(n as i16),
            }
        }
        PT_I32 => Value::I32(c.u32().ok_or(CUT)? as i32),
        PT_F32 => Value::F32(f32::from_bits(c.u32().ok_or(CUT)?)),
        PT_ERROR => Value::Error(c.u32().ok_or(CUT)?),
        PT_F64 => Value::F64(f64::from_bits(c.u64().ok_or(CUT)?)),
        PT_APPTIME => Value::AppTime(f64::from_bits(c.u64().ok_or(CUT)?)),
        PT_CURRENCY => Value::Currency(c.u64().ok_or(CUT)? as i64),
        PT_I64 => Value::I64(c.u64().ok_or(CUT)? as i64),
        PT_SYSTIME => Value::Time(c.u64().ok_or(CUT)?),
        PT_CLSID => Value::Guid(c.array::<16>().ok_or(CUT)?),
        PT_STRING8 | PT_UNICODE | PT_BINARY | PT_OBJECT => {
            let len = c.len().ok_or(CUT)?;
            let bytes = c.take(len).ok_or("has a value longer than the list")?;
            c.skip(padding(len));
            match kind {
                PT_STRING8 => Value::String8(trim_nul(bytes)),
                PT_UNICODE => Value::Unicode(utf16(bytes)),
                PT_BINARY => Value::Binary(bytes),
                _ => Value::Object(bytes),
            }
        }
        other => return Err(format!("has a type (0x{other:04X}) TNEF does not use")),
    };
    Ok(value)
}

fn trim_nul(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    &bytes[..end]
}

/// UTF-16LE to text, without its terminating NULs (an odd last byte is dropped).
pub(crate) fn utf16(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes.chunks_exact(2).map(|p| u16::from_le_bytes([p[0], p[1]])).collect();
    String::from_utf16_lossy(&units).trim_end_matches('\0').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push_u16(out: &mut Vec<u8>, n: u16) {
        out.extend_from_slice(&n.to_le_bytes());
    }
    fn push_u32(out: &mut Vec<u8>, n: u32) {
        out.extend_from_slice(&n.to_le_bytes());
    }

    #[test]
    fn every_type_of_value_and_the_padding_between_them() {
        let mut d = Vec::new();
        push_u32(&mut d, 9);
        // i16 padded to 4, then a bool padded to 4
        push_u16(&mut d, PT_I16);
        push_u16(&mut d, 0x0001);
        d.extend_from_slice(&[0xFE, 0xFF, 0, 0]);
        push_u16(&mut d, PT_BOOL);
        push_u16(&mut d, 0x0002);
        d.extend_from_slice(&[1, 0, 0, 0]);
        push_u16(&mut d, PT_SYSTIME);
        push_u16(&mut d, 0x3007);
        d.extend_from_slice(&0x01D4_870B_7E16_07B0u64.to_le_bytes());
        push_u16(&mut d, PT_F64);
        push_u16(&mut d, 0x0003);
        d.extend_from_slice(&1.5f64.to_le_bytes());
        push_u16(&mut d, PT_CLSID);
        push_u16(&mut d, 0x0004);
        d.extend_from_slice(&[7; 16]);
        // 8-bit string of 5 bytes with its NUL, padded to 8
        push_u16(&mut d, PT_STRING8);
        push_u16(&mut d, 0x0037);
        push_u32(&mut d, 1);
        push_u32(&mut d, 5);
        d.extend_from_slice(b"H\xe4ll\0\0\0\0");
        // UTF-16 string
        push_u16(&mut d, PT_UNICODE);
        push_u16(&mut d, 0x3707);
        push_u32(&mut d, 1);
        push_u32(&mut d, 6);
        d.extend_from_slice(b"\xe4\0b\0\0\0\0\0");
        // multi-valued i32 with two values
        push_u16(&mut d, PT_I32 | MULTI);
        push_u16(&mut d, 0x0005);
        push_u32(&mut d, 2);
        push_u32(&mut d, 7);
        push_u32(&mut d, 8);
        // named property (GUID + UTF-16 name), binary value of 1 byte padded to 4
        push_u16(&mut d, PT_BINARY);
        push_u16(&mut d, 0x8001);
        d.extend_from_slice(&[9; 16]);
        push_u32(&mut d, 1);
        push_u32(&mut d, 4);
        d.extend_from_slice(b"x\0y\0");
        push_u32(&mut d, 1);
        push_u32(&mut d, 1);
        d.extend_from_slice(&[0xAA, 0, 0, 0]);

        let list = parse(&d);
        assert_eq!(list.problem, None);
        let values: Vec<_> = list.properties.iter().map(|p| p.value.clone()).collect();
        assert_eq!(
            values,
            vec![
                Value::I16(-2),
                Value::Bool(true),
                Value::Time(0x01D4_870B_7E16_07B0),
                Value::F64(1.5),
                Value::Guid([7; 16]),
                Value::String8(b"H\xe4ll"),
                Value::Unicode("äb".into()),
                Value::Multi(vec![Value::I32(7), Value::I32(8)]),
                Value::Binary(&[0xAA]),
            ]
        );
        assert_eq!(list.properties[8].named, Some(([9; 16], Name::Text("xy".into()))));
        assert_eq!(list.text(0x0037, 1252).as_deref(), Some("Häll"));
        assert_eq!(list.text(0x3707, 1252).as_deref(), Some("äb"));
    }

    #[test]
    fn lengths_and_counts_past_the_end_stop_the_list_without_allocating_them() {
        let mut d = Vec::new();
        push_u32(&mut d, u32::MAX);
        push_u16(&mut d, PT_I32);
        push_u16(&mut d, 0x0001);
        push_u32(&mut d, 42);
        push_u16(&mut d, PT_BINARY | MULTI);
        push_u16(&mut d, 0x0002);
        push_u32(&mut d, u32::MAX);
        push_u32(&mut d, u32::MAX);
        let list = parse(&d);
        assert_eq!(list.int(0x0001), Some(42));
        assert_eq!(list.properties.len(), 1);
        let problem = list.problem.unwrap_or_default();
        assert!(problem.contains("property 2 of 4294967295"), "{problem}");
        assert!(problem.contains("longer than the list"), "{problem}");
    }

    #[test]
    fn an_unknown_type_stops_the_list() {
        let mut d = Vec::new();
        push_u32(&mut d, 2);
        push_u16(&mut d, 0x0099);
        push_u16(&mut d, 0x0001);
        let list = parse(&d);
        assert!(list.properties.is_empty());
        assert!(list.problem.unwrap_or_default().contains("0x0099"));
    }
}
