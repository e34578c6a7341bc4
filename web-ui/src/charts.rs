//! Chart geometry for the Statistics page in plain functions, without the DOM: linear scales, "nice"
//! axis ticks, column and bar rectangles, SVG path data and label thinning. Unit-tested natively;
//! `components::charts` draws the SVG with them.

/// The plot area inside a chart's view box, in SVG user units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
}

impl Area {
    pub fn bottom(&self) -> f64 {
        self.top + self.height
    }

    pub fn right(&self) -> f64 {
        self.left + self.width
    }
}

/// A linear map from data values (`domain`) to user units (`range`); a range may run backwards (the y
/// axis grows upwards).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    domain: (f64, f64),
    range: (f64, f64),
}

impl Scale {
    pub fn new(domain: (f64, f64), range: (f64, f64)) -> Scale {
        Scale { domain, range }
    }

    /// Where `value` lands; the start of the range for an empty domain.
    pub fn map(&self, value: f64) -> f64 {
        let (d0, d1) = self.domain;
        let (r0, r1) = self.range;
        if (d1 - d0).abs() < f64::EPSILON {
            r0
        } else {
            r0 + (value - d0) / (d1 - d0) * (r1 - r0)
        }
    }
}

/// A step of 1, 2 or 5 times a power of ten that cuts `0..max` into at most about `count` intervals
/// (at least 1, so counts never get fractional ticks).
pub fn nice_step(max: f64, count: usize) -> f64 {
    if max <= 0.0 || count == 0 {
        return 1.0;
    }
    let raw = max / count as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    step.max(1.0)
}

/// Axis ticks from 0 up to the first multiple of [`nice_step`] at or above `max` (at least `[0, 1]`).
pub fn ticks(max: f64, count: usize) -> Vec<f64> {
    let step = nice_step(max, count);
    let top = (max / step).ceil().max(1.0) * step;
    let n = (top / step).round() as usize;
    (0..=n).map(|i| i as f64 * step).collect()
}

/// A rectangle in user units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// The x of the middle of band `i` of `n` equal bands across `area`.
pub fn band_center(i: usize, n: usize, area: Area) -> f64 {
    let band = area.width / n.max(1) as f64;
    area.left + band * (i as f64 + 0.5)
}

/// One column per value, standing on the bottom of `area`, scaled so that `top` reaches its top; `gap`
/// is the share (0..1) of each band left empty between columns.
pub fn columns(values: &[f64], area: Area, top: f64, gap: f64) -> Vec<Rect> {
    let n = values.len().max(1);
    let band = area.width / n as f64;
    let width = band * (1.0 - gap.clamp(0.0, 0.95));
    let y = Scale::new((0.0, top), (area.bottom(), area.top));
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let at = y.map(v.max(0.0));
            Rect {
                x: band_center(i, n, area) - width / 2.0,
                y: at,
                width,
                height: area.bottom() - at,
            }
        })
        .collect()
}

/// One horizontal bar per value, rows of `row` units from the top of `area`, starting at its left,
/// scaled so that `top` fills its width; each bar takes `fill` (0..1) of its row's height.
pub fn bars(values: &[f64], area: Area, top: f64, row: f64, fill: f64) -> Vec<Rect> {
    let x = Scale::new((0.0, top), (area.left, area.right()));
    let height = row * fill.clamp(0.05, 1.0);
    values
        .iter()
        .enumerate()
        .map(|(i, v)| Rect {
            x: area.left,
            y: area.top + row * i as f64 + (row - height) / 2.0,
            width: x.map(v.max(0.0)) - area.left,
            height,
        })
        .collect()
}

/// SVG path data through `points`: `M x,y L x,y …`, one decimal; empty for no points.
pub fn line_path(points: &[(f64, f64)]) -> String {
    points
        .iter()
        .enumerate()
        .map(|(i, (x, y))| format!("{}{x:.1},{y:.1}", if i == 0 { "M" } else { " L" }))
        .collect()
}

/// Show every `k`-th of `n` labels so at most `max` are shown (1: all).
pub fn label_every(n: usize, max: usize) -> usize {
    if max == 0 {
        return n.max(1);
    }
    n.div_ceil(max).max(1)
}

/// The larger of `values`' maximum and `floor` (a scale's top never collapses to zero).
pub fn top_of(values: impl IntoIterator<Item = f64>, floor: f64) -> f64 {
    values.into_iter().fold(floor, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AREA: Area = Area {
        left: 40.0,
        top: 10.0,
        width: 400.0,
        height: 200.0,
    };

    #[test]
    fn scales_map_both_ways_and_survive_an_empty_domain() {
        let y = Scale::new((0.0, 10.0), (210.0, 10.0));
        assert_eq!(y.map(0.0), 210.0);
        assert_eq!(y.map(10.0), 10.0);
        assert_eq!(y.map(5.0), 110.0);
        assert_eq!(Scale::new((3.0, 3.0), (0.0, 100.0)).map(3.0), 0.0);
    }

    #[test]
    fn ticks_are_nice_and_cover_the_maximum() {
        assert_eq!(ticks(0.0, 4), vec![0.0, 1.0]);
        assert_eq!(ticks(3.0, 4), vec![0.0, 1.0, 2.0, 3.0]);
        assert_eq!(ticks(7.0, 4), vec![0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(ticks(95.0, 4), vec![0.0, 50.0, 100.0]);
        assert_eq!(ticks(1234.0, 5), vec![0.0, 500.0, 1000.0, 1500.0]);
        assert_eq!(nice_step(0.3, 4), 1.0, "counts: no fractional steps");
        for max in [1.0, 9.0, 10.0, 11.0, 999.0, 1_000_001.0] {
            let t = ticks(max, 5);
            assert!(*t.last().unwrap() >= max, "{max}: {t:?}");
            assert!(t.len() <= 12, "{max}: {t:?}");
        }
    }

    #[test]
    fn columns_stand_on_the_axis_in_equal_bands() {
        let c = columns(&[0.0, 5.0, 10.0, 2.5], AREA, 10.0, 0.2);
        assert_eq!(c.len(), 4);
        // Bands of 100, columns of 80 centred in them.
        assert_eq!(c[0].x, 50.0);
        assert_eq!(c[1].x, 150.0);
        assert!(c.iter().all(|r| (r.width - 80.0).abs() < 1e-9));
        assert!(c.iter().all(|r| (r.y + r.height - AREA.bottom()).abs() < 1e-9));
        assert_eq!(c[0].height, 0.0);
        assert_eq!(c[1].height, 100.0);
        assert_eq!(c[2].y, AREA.top);
        assert_eq!(c[3].height, 50.0);
        assert!(columns(&[], AREA, 1.0, 0.2).is_empty());
    }

    #[test]
    fn bars_grow_from_the_left_one_row_each() {
        let b = bars(&[4.0, 1.0], AREA, 4.0, 30.0, 0.6);
        assert_eq!(b[0].x, AREA.left);
        assert_eq!(b[0].width, 400.0);
        assert_eq!(b[1].width, 100.0);
        assert!((b[0].height - 18.0).abs() < 1e-9);
        assert!((b[1].y - (AREA.top + 30.0 + 6.0)).abs() < 1e-9);
    }

    #[test]
    fn paths_and_labels() {
        assert_eq!(line_path(&[]), "");
        assert_eq!(line_path(&[(1.0, 2.0), (3.26, 4.0)]), "M1.0,2.0 L3.3,4.0");
        assert_eq!(band_center(0, 4, AREA), 90.0);
        assert_eq!(label_every(30, 10), 3);
        assert_eq!(label_every(7, 10), 1);
        assert_eq!(label_every(0, 10), 1);
        assert_eq!(top_of([1.0, 3.0], 1.0), 3.0);
        assert_eq!(top_of([], 1.0), 1.0);
    }
}
