//! Reading stored timestamps quickly.
//!
//! SQLite keeps a `TIMESTAMP` as text. diesel's decoder tries two other
//! layouts before the one tessera writes (`YYYY-MM-DD HH:MM:SS`, see
//! [`super::now`]), each through `time`'s general parser; on the token
//! list that was the largest cost in tessera's own code
//! (docs/PERFORMANCE.md). The model structs read their timestamp columns
//! through these wrappers (`#[diesel(deserialize_as = Stamp)]`), which
//! decode that one layout directly and hand anything else to diesel.
//! PostgreSQL sends binary timestamps and goes straight to diesel.

use diesel::Connection;
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::sql_types::{Nullable, Timestamp};
use diesel::sqlite::Sqlite;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

type Multi = <crate::db::connection::DbConn as Connection>::Backend;

/// "Now", as stored: UTC, whole seconds. Passed into queries as a bind
/// value so both backends agree and tests can reason about it.
pub fn now() -> PrimitiveDateTime {
    let now = OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    PrimitiveDateTime::new(now.date(), now.time())
}

/// A `Timestamp` column.
#[derive(Debug, Clone, Copy, diesel::deserialize::FromSqlRow)]
pub struct Stamp(PrimitiveDateTime);

/// A `Nullable<Timestamp>` column.
#[derive(Debug, Clone, Copy, diesel::deserialize::FromSqlRow)]
pub struct MaybeStamp(Option<PrimitiveDateTime>);

impl From<Stamp> for PrimitiveDateTime {
    fn from(s: Stamp) -> Self {
        s.0
    }
}

impl From<MaybeStamp> for Option<PrimitiveDateTime> {
    fn from(s: MaybeStamp) -> Self {
        s.0
    }
}

/// `YYYY-MM-DD HH:MM:SS` exactly, or `None`.
pub fn parse_stored(text: &[u8]) -> Option<PrimitiveDateTime> {
    let [
        y0,
        y1,
        y2,
        y3,
        b'-',
        mo0,
        mo1,
        b'-',
        d0,
        d1,
        b' ',
        h0,
        h1,
        b':',
        mi0,
        mi1,
        b':',
        s0,
        s1,
    ] = *text
    else {
        return None;
    };
    let digit = |c: u8| c.is_ascii_digit().then(|| u32::from(c - b'0'));
    let two = |a, b| Some(digit(a)? * 10 + digit(b)?);
    let year = two(y0, y1)? * 100 + two(y2, y3)?;
    let month = Month::try_from(u8::try_from(two(mo0, mo1)?).ok()?).ok()?;
    let date = Date::from_calendar_date(
        i32::try_from(year).ok()?,
        month,
        u8::try_from(two(d0, d1)?).ok()?,
    )
    .ok()?;
    let time = Time::from_hms(
        u8::try_from(two(h0, h1)?).ok()?,
        u8::try_from(two(mi0, mi1)?).ok()?,
        u8::try_from(two(s0, s1)?).ok()?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time))
}

impl FromSql<Timestamp, Sqlite> for Stamp {
    fn from_sql(mut value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        if let Some(at) = parse_stored(value.read_text().as_bytes()) {
            return Ok(Stamp(at));
        }
        // Written by hand or by another tool in another of SQLite's layouts.
        <PrimitiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(Stamp)
    }
}

impl FromSql<Timestamp, Pg> for Stamp {
    fn from_sql(value: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <PrimitiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(Stamp)
    }
}

/// Through [`super::DbConn`]: whichever backend it holds.
impl FromSql<Timestamp, Multi> for Stamp {
    fn from_sql(value: <Multi as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Self, Timestamp>()
    }
}

impl<DB> FromSql<Nullable<Timestamp>, DB> for MaybeStamp
where
    DB: Backend,
    Stamp: FromSql<Timestamp, DB>,
{
    fn from_sql(value: DB::RawValue<'_>) -> deserialize::Result<Self> {
        Stamp::from_sql(value).map(|s| MaybeStamp(Some(s.0)))
    }

    fn from_nullable_sql(value: Option<DB::RawValue<'_>>) -> deserialize::Result<Self> {
        value.map_or(Ok(MaybeStamp(None)), Self::from_sql)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn reads_the_stored_layout() {
        assert_eq!(
            parse_stored(b"2026-11-23 19:05:07"),
            Some(datetime!(2026-11-23 19:05:07))
        );
        assert_eq!(
            parse_stored(b"0999-01-01 00:00:00"),
            Some(datetime!(0999-01-01 00:00:00))
        );
    }

    #[test]
    fn refuses_anything_else() {
        for text in [
            "2026-11-23T19:05:07",
            "2026-11-23 19:05:07.5",
            "2026-11-23 19:05",
            "2026-13-01 00:00:00",
            "2026-02-30 00:00:00",
            "2026-11-23 24:00:00",
            "2026-11-23 19:60:00",
            "2026-1a-23 19:05:07",
            "+026-11-23 19:05:07",
            "",
        ] {
            assert_eq!(parse_stored(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn agrees_with_time_on_whole_seconds() {
        let format =
            time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
        for at in [
            datetime!(2026-01-01 00:00:00),
            datetime!(2024-02-29 23:59:59),
            datetime!(1970-01-01 12:34:56),
        ] {
            let text = at.format(&format).unwrap();
            assert_eq!(parse_stored(text.as_bytes()), Some(at));
        }
    }
}
