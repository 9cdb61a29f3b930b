//! The load tab: its settings, live figures and plots, and the words of
//! its log rows.

pub mod figures;
pub mod plots;
pub mod settings;

use crate::i18n::{Lang, T, fill};
use crate::net::load::ExchangeWhy;
use crate::records::Note;
use crate::session::load_report::{end_text, ms_text};
use crate::teach::load::fail_label;

/// A load run's event row in words.
pub fn note_text(note: &Note, lang: Lang) -> String {
    let t = |k: T| k.get(lang);
    match note {
        Note::LoadStarted(p) => {
            let mut text = fill(
                t(T::EvLoadStarted),
                &[&p.url, &p.target, &p.connections, &p.rate],
            );
            if let (Some(first), Some(last)) = (p.sources.first(), p.sources.last())
                && p.sources.len() > 1
            {
                text.push_str(&fill(t(T::EvLoadSources), &[&p.sources.len(), first, last]));
            }
            text
        }
        Note::LoadExchange {
            client,
            why,
            step,
            round,
            latency,
        } => {
            let key = match why {
                ExchangeWhy::First => T::EvLoadExchangeFirst,
                ExchangeWhy::Slowest => T::EvLoadExchangeSlow,
            };
            let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
            fill(t(key), &[client, step, round, &ms_text(us)])
        }
        Note::LoadFailed {
            client,
            kind,
            detail,
            ..
        } => fill(t(T::EvLoadFailed), &[client, &t(fail_label(*kind)), detail]),
        Note::LoadFinished {
            end,
            done,
            failed,
            p50_us,
            p99_us,
        } => fill(
            t(T::EvLoadFinished),
            &[
                &end_text(*end, lang),
                done,
                failed,
                &ms_text(*p50_us),
                &ms_text(*p99_us),
            ],
        ),
        other => other.to_string(),
    }
}
