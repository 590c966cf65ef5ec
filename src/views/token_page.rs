//! A token's own page (`/profile/tokens/{id}`, and for admins
//! `/admin/tokens/{id}`): its `.json` twin's data, the usage chart drawn
//! here as SVG, and the owner's edit and regenerate forms.

use askama::Template;
use serde::Serialize;

use crate::i18n::Tr;
use crate::lifecycle::GRACE_HOURS;
use crate::views::page::{FieldErrors, PageCtx};
use crate::views::tokens::{TokenDetail, UsageDay};

/// One day's bar of the chart, in SVG user units.
#[derive(Debug, Clone, Serialize)]
pub struct Bar {
    pub x: u32,
    pub y: u32,
    pub height: u32,
    pub day: String,
    pub count: i64,
}

/// Uses per day as bars, drawn by the server so the page needs no script.
#[derive(Debug, Clone, Serialize)]
pub struct UsageChart {
    pub bars: Vec<Bar>,
    pub total: i64,
    pub busiest: Option<(String, i64)>,
    pub width: u32,
    pub height: u32,
    pub first_day: String,
    pub last_day: String,
}

impl UsageChart {
    const BAR: u32 = 14;
    const GAP: u32 = 4;
    const PLOT: u32 = 100;
    const AXIS: u32 = 2;

    pub fn new(days: &[UsageDay]) -> Self {
        let max = days.iter().map(|d| d.count).max().unwrap_or(0).max(1);
        let bars = days
            .iter()
            .enumerate()
            .map(|(i, d)| {
                // A day with uses shows at least a sliver.
                let scaled = (d.count * i64::from(Self::PLOT) + max - 1) / max;
                let height = u32::try_from(scaled).unwrap_or(Self::PLOT);
                Bar {
                    x: u32::try_from(i).unwrap_or(0) * (Self::BAR + Self::GAP),
                    y: Self::PLOT - height,
                    height,
                    day: d.day.clone(),
                    count: d.count,
                }
            })
            .collect::<Vec<_>>();
        let busiest = days
            .iter()
            .filter(|d| d.count > 0)
            .max_by_key(|d| d.count)
            .map(|d| (d.day.clone(), d.count));
        Self {
            width: u32::try_from(bars.len()).unwrap_or(0) * (Self::BAR + Self::GAP),
            height: Self::PLOT + Self::AXIS,
            total: days.iter().map(|d| d.count).sum(),
            busiest,
            first_day: days.first().map(|d| d.day.clone()).unwrap_or_default(),
            last_day: days.last().map(|d| d.day.clone()).unwrap_or_default(),
            bars,
        }
    }

    pub fn bar_width(&self) -> u32 {
        Self::BAR
    }

    pub fn plot_height(&self) -> u32 {
        Self::PLOT
    }

    /// What the chart says, for those who cannot see it.
    pub fn summary(&self, tr: Tr) -> String {
        let (first, last) = (self.first_day.clone(), self.last_day.clone());
        match &self.busiest {
            None => tr.t2("tp-chart-none", "first", first, "last", last),
            Some((day, n)) => tr.ta(
                "tp-chart-summary",
                &[
                    ("total", self.total.to_string()),
                    ("first", first),
                    ("last", last),
                    ("day", day.clone()),
                    ("n", n.to_string()),
                ],
            ),
        }
    }
}

/// A scope of the token, and whether its owner's role still lets it work.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeRow {
    pub name: String,
    pub effective: bool,
}

/// The owner's edit form, with what was typed after a mistake.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EditForm {
    pub label: String,
    pub description: String,
    /// The date (`YYYY-MM-DD`) of the current expiry, if any.
    pub expires_on: String,
    /// The allowlist as typed: addresses and ranges, comma separated.
    pub allowed_ips: String,
    pub rate_limit_per_minute: String,
    pub errors: FieldErrors,
}

/// `GET /profile/tokens/{id}` and `GET /admin/tokens/{id}`.
#[derive(Template)]
#[template(path = "tokens/show.html")]
pub struct TokenPage {
    pub ctx: PageCtx,
    pub detail: TokenDetail,
    pub chart: UsageChart,
    pub scopes: Vec<ScopeRow>,
    /// On `/admin/...`: the owner's username (linked), and no owner forms.
    pub owner_username: Option<String>,
    pub edit: EditForm,
    pub grace_hours: &'static [i64],
}

impl TokenPage {
    pub fn new(ctx: PageCtx, detail: TokenDetail, owner_username: Option<String>) -> Self {
        let scopes = detail
            .token
            .scopes
            .iter()
            .map(|name| ScopeRow {
                effective: detail.effective_scopes.contains(name),
                name: name.clone(),
            })
            .collect();
        let edit = EditForm {
            label: detail.token.label.clone(),
            description: detail.token.description.clone(),
            expires_on: detail
                .token
                .expires_at
                .as_deref()
                .and_then(|at| at.get(..10))
                .unwrap_or("")
                .to_owned(),
            allowed_ips: detail.token.allowed_ips.join(", "),
            rate_limit_per_minute: detail
                .token
                .rate_limit_per_minute
                .map(|n| n.to_string())
                .unwrap_or_default(),
            errors: FieldErrors::default(),
        };
        Self {
            ctx,
            chart: UsageChart::new(&detail.usage),
            detail,
            scopes,
            owner_username,
            edit,
            grace_hours: &GRACE_HOURS,
        }
    }

    pub fn token(&self) -> &crate::views::tokens::TokenView {
        &self.detail.token
    }

    pub fn is_admin_view(&self) -> bool {
        self.owner_username.is_some()
    }

    pub fn any_stripped(&self) -> bool {
        self.scopes.iter().any(|s| !s.effective)
    }

    /// The message for a grace period's choice.
    pub fn grace_key(hours: &i64) -> &'static str {
        match hours {
            0 => "grace-0",
            1 => "grace-1",
            24 => "grace-24",
            _ => "grace-168",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_busiest_day() {
        let days: Vec<UsageDay> = [0, 5, 10]
            .into_iter()
            .enumerate()
            .map(|(i, count)| UsageDay {
                day: format!("2026-12-0{}", i + 1),
                count,
            })
            .collect();
        let chart = UsageChart::new(&days);
        let heights: Vec<u32> = chart.bars.iter().map(|b| b.height).collect();
        assert_eq!(heights, [0, 50, 100]);
        assert_eq!(chart.bars[2].y, 0);
        assert_eq!(chart.total, 15);
        assert_eq!(
            chart.summary(Tr("en")),
            "15 uses from 2026-12-01 to 2026-12-03; the busiest day was 2026-12-03 with 10."
        );
        let quiet = UsageChart::new(&days[..1]);
        assert_eq!(
            quiet.summary(Tr("en")),
            "No uses from 2026-12-01 to 2026-12-01."
        );
    }
}

/// The no-JavaScript confirmation before revoking every token of an account.
#[derive(Template)]
#[template(path = "tokens/confirm_delete_all.html")]
pub struct ConfirmDeleteAllPage {
    pub ctx: PageCtx,
    pub count: usize,
    /// "your account" or the owner's username.
    pub whose: String,
    pub action: String,
    pub cancel: String,
}
