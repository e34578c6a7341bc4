//! SVG charts of the Statistics page, drawn by Yew from the geometry of `crate::charts`: columns and a
//! line per day, and horizontal bars. Each chart is an `<svg role="img">` with a `<title>` and a `<desc>`
//! holding its numbers, each mark has a `<title>` (a tooltip), and the values are printed beside the bars.

use crate::charts::{Area, Scale, band_center, bars, columns, label_every, line_path, ticks, top_of};
use crate::format::thousands;
use loket_protocol::stats::DayCount;
use yew::prelude::*;

/// A coordinate for an SVG attribute.
fn n(v: f64) -> String {
    format!("{v:.1}")
}

#[derive(Properties, PartialEq)]
pub struct DailyProps {
    pub days: Vec<DayCount>,
}

/// Tickets created (columns) and resolved (a line with points) per day, with a y axis and day labels;
/// the numbers also in a table under "Numbers".
#[function_component]
pub fn DailyChart(props: &DailyProps) -> Html {
    const W: f64 = 720.0;
    const H: f64 = 240.0;
    let area = Area {
        left: 44.0,
        top: 12.0,
        width: W - 56.0,
        height: H - 44.0,
    };
    let days = &props.days;
    let created: Vec<f64> = days.iter().map(|d| d.created as f64).collect();
    let resolved: Vec<f64> = days.iter().map(|d| d.resolved as f64).collect();
    let axis = ticks(top_of(created.iter().chain(&resolved).copied(), 1.0), 4);
    let top = axis.last().copied().unwrap_or(1.0);
    let y = Scale::new((0.0, top), (area.bottom(), area.top));
    let cols = columns(&created, area, top, 0.3);
    let points: Vec<(f64, f64)> = resolved
        .iter()
        .enumerate()
        .map(|(i, v)| (band_center(i, days.len(), area), y.map(*v)))
        .collect();
    let every = label_every(days.len(), 8);
    let total_created: u64 = days.iter().map(|d| d.created).sum();
    let total_resolved: u64 = days.iter().map(|d| d.resolved).sum();
    let span = match (days.first(), days.last()) {
        (Some(a), Some(b)) => format!("from {} to {}", a.day, b.day),
        _ => String::new(),
    };
    html! {
        <figure class="chart" data-testid="chart-daily">
            <svg class="chart-svg" viewBox={format!("0 0 {W} {H}")} role="img" aria-labelledby="daily-title daily-desc">
                <title id="daily-title">{ "Tickets created and resolved per day" }</title>
                <desc id="daily-desc">
                    { format!("{} created and {} resolved {span}.", thousands(total_created), thousands(total_resolved)) }
                </desc>
                { for axis.iter().map(|t| {
                    let at = y.map(*t);
                    html! { <g class="tick">
                        <line class="grid" x1={n(area.left)} x2={n(area.right())} y1={n(at)} y2={n(at)} />
                        <text class="axis-label" x={n(area.left - 6.0)} y={n(at + 4.0)} text-anchor="end">
                            { thousands(*t as u64) }
                        </text>
                    </g> }
                }) }
                { for cols.iter().zip(days).map(|(r, d)| html! {
                    <rect class="bar-created" x={n(r.x)} y={n(r.y)} width={n(r.width)} height={n(r.height)}
                        data-testid="created-bar" data-day={d.day.to_string()} data-value={d.created.to_string()}>
                        <title>{ format!("{}: {} created, {} resolved", d.day, d.created, d.resolved) }</title>
                    </rect>
                }) }
                <path class="line-resolved" d={line_path(&points)} fill="none" />
                { for points.iter().zip(days).map(|((x, py), d)| html! {
                    <circle class="point-resolved" cx={n(*x)} cy={n(*py)} r="3"
                        data-testid="resolved-point" data-day={d.day.to_string()} data-value={d.resolved.to_string()}>
                        <title>{ format!("{}: {} resolved", d.day, d.resolved) }</title>
                    </circle>
                }) }
                { for days.iter().enumerate().filter(|(i, _)| i % every == 0).map(|(i, d)| html! {
                    <text class="axis-label" x={n(band_center(i, days.len(), area))} y={n(area.bottom() + 16.0)}
                        text-anchor="middle">{ d.day.format("%d %b").to_string() }</text>
                }) }
            </svg>
            <figcaption class="chart-legend">
                <span class="swatch swatch-created" aria-hidden="true" />{ "Created " }
                <strong data-testid="total-created">{ thousands(total_created) }</strong>
                <span class="swatch swatch-resolved" aria-hidden="true" />{ "Resolved " }
                <strong data-testid="total-resolved">{ thousands(total_resolved) }</strong>
            </figcaption>
            <details class="chart-numbers">
                <summary>{ "Numbers per day" }</summary>
                <table class="data">
                    <thead><tr>
                        <th scope="col">{ "Day" }</th><th scope="col">{ "Created" }</th><th scope="col">{ "Resolved" }</th>
                    </tr></thead>
                    <tbody>
                        { for days.iter().map(|d| html! {
                            <tr key={d.day.to_string()}>
                                <td>{ d.day.to_string() }</td><td>{ d.created }</td><td>{ d.resolved }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </details>
        </figure>
    }
}

/// One bar: its label, the value that sets its length, and the text printed after it.
#[derive(Debug, Clone, PartialEq)]
pub struct BarRow {
    pub label: String,
    pub value: f64,
    pub text: String,
}

#[derive(Properties, PartialEq)]
pub struct BarsProps {
    /// The chart's id (prefix of its title's and description's ids) and its `data-testid`.
    pub id: AttrValue,
    pub title: AttrValue,
    pub rows: Vec<BarRow>,
    /// The value of a full-width bar; default: the largest value.
    #[prop_or_default]
    pub max: Option<f64>,
    /// What is shown when there are no rows.
    #[prop_or(AttrValue::from("Nothing to show for this range."))]
    pub empty: AttrValue,
}

/// Horizontal bars, one row each: label, bar, value.
#[function_component]
pub fn BarChart(props: &BarsProps) -> Html {
    const W: f64 = 360.0;
    const ROW: f64 = 24.0;
    const LABELS: f64 = 118.0;
    const VALUES: f64 = 104.0;
    if props.rows.is_empty() {
        return html! {
            <p class="muted chart-empty" data-testid={props.id.clone()}>{ props.empty.clone() }</p>
        };
    }
    let height = ROW * props.rows.len() as f64 + 4.0;
    let area = Area {
        left: LABELS,
        top: 2.0,
        width: W - LABELS - VALUES,
        height: height - 4.0,
    };
    let values: Vec<f64> = props.rows.iter().map(|r| r.value).collect();
    let top = props.max.unwrap_or_else(|| top_of(values.iter().copied(), 1.0));
    let rects = bars(&values, area, top, ROW, 0.62);
    let (title_id, desc_id) = (format!("{}-title", props.id), format!("{}-desc", props.id));
    let desc = props
        .rows
        .iter()
        .map(|r| format!("{}: {}", r.label, r.text))
        .collect::<Vec<_>>()
        .join("; ");
    html! {
        <figure class="chart" data-testid={props.id.clone()}>
            <svg class="chart-svg" viewBox={format!("0 0 {W} {}", n(height))} role="img"
                aria-labelledby={format!("{title_id} {desc_id}")}>
                <title id={title_id}>{ props.title.clone() }</title>
                <desc id={desc_id}>{ desc }</desc>
                { for props.rows.iter().zip(&rects).map(|(row, r)| html! {
                    <g class="bar-row" data-label={row.label.clone()} data-value={row.value.to_string()}>
                        <text class="bar-label" x={n(area.left - 8.0)} y={n(r.y + r.height / 2.0 + 4.0)}
                            text-anchor="end">{ truncate(&row.label, 18) }</text>
                        <rect class="bar" x={n(r.x)} y={n(r.y)} width={n(r.width.max(1.0))} height={n(r.height)}>
                            <title>{ format!("{}: {}", row.label, row.text) }</title>
                        </rect>
                        <text class="bar-value" x={n(r.x + r.width.max(1.0) + 6.0)} y={n(r.y + r.height / 2.0 + 4.0)}>
                            { row.text.clone() }
                        </text>
                    </g>
                }) }
            </svg>
        </figure>
    }
}

/// At most `max` characters, with an ellipsis when cut.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}
