//! A one-line bar of items that never overwrite each other: when the line is too narrow,
//! the least important items first take their shorter form, then are cut down to a
//! minimum, then leave; what stays is whole or visibly cut with an ellipsis.

use super::text::truncate;
use ratatui::style::Style;
use ratatui::text::Span;
use unicode_width::UnicodeWidthStr;

/// How an item can give up room.
#[derive(Debug, Clone, PartialEq)]
pub enum Shrink {
    /// Whole or not at all.
    No,
    /// A shorter text meaning the same.
    To(String),
    /// Cut with an ellipsis, to no fewer than this many columns.
    Cut(usize),
}

#[derive(Debug, Clone)]
pub struct Item {
    pub text: String,
    pub style: Style,
    /// Higher stays longer.
    pub keep: u8,
    pub shrink: Shrink,
    /// Right-aligned with the other right items.
    pub right: bool,
}

impl Item {
    pub fn left(text: impl Into<String>, style: Style, keep: u8) -> Item {
        Item {
            text: text.into(),
            style,
            keep,
            shrink: Shrink::No,
            right: false,
        }
    }

    pub fn right(text: impl Into<String>, style: Style, keep: u8) -> Item {
        Item {
            right: true,
            ..Item::left(text, style, keep)
        }
    }

    pub fn or_shorter(mut self, shorter: impl Into<String>) -> Item {
        self.shrink = Shrink::To(shorter.into());
        self
    }

    pub fn cut_to(mut self, min: usize) -> Item {
        self.shrink = Shrink::Cut(min);
        self
    }

    fn width(&self) -> usize {
        self.text.width()
    }
}

/// The columns `items` take side by side (a column between the left and the right).
fn total(items: &[Item]) -> usize {
    let both = items.iter().any(|i| i.right) && items.iter().any(|i| !i.right);
    items.iter().map(Item::width).sum::<usize>() + usize::from(both)
}

/// Make `items` fit in `width` columns; returns the left spans and the right spans.
pub fn fit(mut items: Vec<Item>, width: usize) -> (Vec<Span<'static>>, Vec<Span<'static>>) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| items[i].keep);
    for &i in &order {
        let over = total(&items).saturating_sub(width);
        if over == 0 {
            break;
        }
        match std::mem::replace(&mut items[i].shrink, Shrink::No) {
            Shrink::No => {}
            Shrink::To(shorter) => items[i].text = shorter,
            Shrink::Cut(min) => {
                let w = items[i].width();
                let to = w.saturating_sub(over).max(min);
                if to < w {
                    items[i].text = truncate(&items[i].text, to);
                }
            }
        }
    }
    for &i in &order {
        if total(&items) <= width {
            break;
        }
        items[i].text.clear();
    }
    let mut left = Vec::new();
    let mut right = Vec::new();
    for it in items.into_iter().filter(|i| !i.text.is_empty()) {
        let span = Span::styled(it.text, it.style);
        if it.right {
            right.push(span);
        } else {
            left.push(span);
        }
    }
    (left, right)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(spans: &[Span]) -> String {
        spans.iter().map(|s| s.content.to_string()).collect()
    }

    fn items() -> Vec<Item> {
        let s = Style::default();
        vec![
            Item::left(" PAUSED ", s, 9),
            Item::left(" ▶ A rather long state name", s, 8).cut_to(12),
            Item::left(" │ ⏱ 2024-01-01T00:00:00.000Z (+0s)", s, 6).or_shorter(" │ ⏱ 00:00:00Z"),
            Item::left(" │ steps 0", s, 7),
            Item::right("⚠ 3:5 a placeholder warning that goes on and on ", s, 3).cut_to(12),
        ]
    }

    #[test]
    fn everything_fits_on_a_wide_line() {
        let (l, r) = fit(items(), 200);
        assert!(texts(&l).contains("steps 0") && texts(&l).contains("2024-01-01"));
        assert!(texts(&r).contains("goes on and on"));
    }

    #[test]
    fn the_least_important_give_way_first_and_nothing_overlaps() {
        for width in (10..=200).rev() {
            let (l, r) = fit(items(), width);
            let used = texts(&l).width() + texts(&r).width() + usize::from(!r.is_empty());
            assert!(used <= width, "{width}: {used}");
            if width >= 60 {
                assert!(texts(&l).contains(" │ steps 0"), "{width}: {}", texts(&l));
            }
        }
        // At 80 columns the warning is cut, the clock is short, the steps stay whole.
        let (l, r) = fit(items(), 80);
        let (l, r) = (texts(&l), texts(&r));
        assert!(l.ends_with(" │ ⏱ 00:00:00Z │ steps 0"), "{l}");
        assert!(r.ends_with('…'), "{r}");
        // Very narrow: the status word stays.
        let (l, r) = fit(items(), 12);
        assert_eq!((texts(&l).as_str(), r.len()), (" PAUSED ", 0));
    }
}
