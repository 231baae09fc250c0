import BreakglassAWS
import Foundation

/// A drill's report, from its timeline: Markdown, and a self-contained HTML page (inline CSS, an
/// inline SVG timeline, no scripts, no external assets) that is also well-formed XML. Both carry the
/// scenario, participant, target, the times to detect, acknowledge, get access and recover, the
/// milestones, the runbook steps, the notes and the event log. Every piece of untrusted text (alarm
/// names, notes, step titles, AWS messages, user names) is stripped of control characters and
/// escaped for the format.
public enum DrillReport {
    // MARK: - Shared facts

    /// The headline times, in order: (label, seconds or nil, words when nil).
    static func times(_ t: DrillTimeline) -> [(label: String, seconds: TimeInterval?, missing: String)] {
        let running = t.drill.stoppedAt == nil
        return [
            ("Time to detect", t.timeTo(.detected), running ? "not detected yet" : "not detected"),
            ("Time to acknowledge", t.timeTo(.acknowledged), running ? "not acknowledged yet" : "not acknowledged"),
            ("Time to access", t.timeTo(.accessGranted), running ? "no access granted yet" : "no access granted"),
            ("Time to recover", t.timeTo(.recovered), running ? "not recovered yet" : "not recovered"),
        ]
    }

    static func stamp(_ d: Date) -> String { ISO8601.format(d) }

    static func title(_ t: DrillTimeline) -> String { "Drill \(t.drill.id): \(t.drill.scenario)" }

    static func stopped(_ t: DrillTimeline) -> String {
        guard let at = t.drill.stoppedAt else { return "still running at \(stamp(t.now))" }
        return stamp(at) + (t.drill.stoppedBy.map { " by \($0)" } ?? "")
    }

    /// "Took" for a step: finish minus start, or "not finished".
    static func took(_ s: DrillStepSpan) -> String { s.end.map { DrillFormat.clock($0.timeIntervalSince(s.start)) } ?? "not finished" }

    // MARK: - Markdown

    /// Markdown text: `&`, `<`, `>` as entities (so no HTML gets through a Markdown renderer),
    /// Markdown's own punctuation backslash-escaped, one line.
    public static func markdownEscape(_ s: String) -> String {
        var out = ""
        for ch in TerminalText.sanitize(s) {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\\", "`", "*", "_", "[", "]", "|", "#", "~": out += "\\" + String(ch)
            default: out.append(ch)
            }
        }
        return out
    }

    public static func markdown(_ t: DrillTimeline) -> String {
        let e = markdownEscape
        var lines: [String] = []
        lines.append("# \(e(title(t)))")
        lines.append("")
        lines.append("**\(t.clock.summary)**")
        lines.append("")
        lines.append("| | |")
        lines.append("| --- | --- |")
        lines.append("| Scenario | \(e(t.drill.scenario)) |")
        lines.append("| Participant | \(e(t.drill.participant ?? "anyone")) |")
        lines.append("| Started | \(e(stamp(t.drill.startedAt))) by \(e(t.drill.startedBy)) |")
        lines.append("| Stopped | \(e(stopped(t))) |")
        lines.append("| Target | \(DrillFormat.clock(t.clock.target)) |")
        for time in times(t) {
            lines.append("| \(time.label) | \(time.seconds.map(DrillFormat.clock) ?? time.missing) |")
        }
        lines.append("")
        lines.append("## Milestones")
        lines.append("")
        if t.milestones.isEmpty {
            lines.append("None yet.")
        } else {
            lines.append("| # | Milestone | What | At | Since previous | By |")
            lines.append("| --- | --- | --- | --- | --- | --- |")
            for (i, m) in t.milestones.enumerated() {
                let what = m.step.map { s in s.name + (s.title.map { ": \($0)" } ?? "") + (m.kind == .stepFinished ? " (\(m.detail))" : "") } ?? m.detail
                lines.append(
                    "| \(i + 1) | \(m.label) | \(e(what)) | \(DrillFormat.offset(m.offset)) | \(DrillFormat.clock(m.sincePrevious)) | \(e(m.by ?? "")) |")
            }
        }
        lines.append("")
        lines.append("## Runbook steps")
        lines.append("")
        if t.steps.isEmpty {
            lines.append("No runbook step was started.")
        } else {
            lines.append("| Runbook | Step | Title | Started | Finished | Took |")
            lines.append("| --- | --- | --- | --- | --- | --- |")
            for s in t.steps {
                let finished = s.end.map { DrillFormat.offset($0.timeIntervalSince(t.drill.startedAt)) + " (\(s.outcome ?? "done"))" } ?? "not finished"
                let number = "\(s.step.number)" + (s.step.id.map { " (\($0))" } ?? "")
                lines.append(
                    "| \(e(s.step.runbook)) | \(e(number)) | \(e(s.step.title ?? "")) | \(DrillFormat.offset(s.start.timeIntervalSince(t.drill.startedAt))) | \(e(finished)) | \(took(s)) |")
            }
        }
        if let c = t.currentStep, t.drill.stoppedAt == nil {
            lines.append("")
            lines.append("Now on \(e(c.step.name)) for \(DrillFormat.clock(c.elapsed))" + (c.lastOutcome.map { " (last try: \(e($0)))" } ?? "") + ".")
        }
        lines.append("")
        lines.append("## Notes")
        lines.append("")
        if t.drill.notes.isEmpty {
            lines.append("No notes.")
        } else {
            for n in t.drill.notes {
                lines.append("- \(DrillFormat.offset(n.at.timeIntervalSince(t.drill.startedAt))) \(e(n.by)): \(e(n.text))")
            }
        }
        lines.append("")
        lines.append("## Event log")
        lines.append("")
        lines.append("| At | Who | What |")
        lines.append("| --- | --- | --- |")
        for ev in t.events {
            lines.append("| \(DrillFormat.offset(ev.offset)) | \(e(ev.by ?? "")) | \(e(ev.text)) |")
        }
        lines.append("")
        lines.append("Generated by Breakglass at \(stamp(t.now)).")
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - HTML

    /// Text for HTML and XML: control characters stripped, `& < > " '` as entities.
    public static func htmlEscape(_ s: String) -> String {
        var out = ""
        for ch in TerminalText.sanitize(s) {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }

    static let style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1000px;padding:0 1rem;color:#1d2329;background:#fff}
        h1{font-size:1.6rem;margin-bottom:.3rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
        table{border-collapse:collapse;margin:.5rem 0;font-size:.92rem}th,td{border:1px solid #d0d7de;padding:.25rem .55rem;text-align:left;vertical-align:top}
        th{background:#f4f6f8}td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
        .verdict{font-size:1.1rem;font-weight:600;padding:.4rem .7rem;border-radius:4px;display:inline-block}
        .verdict.under{background:#dafbe1;color:#116329}.verdict.over{background:#ffebe9;color:#a40e26}.verdict.running{background:#fff8c5;color:#7d4e00}
        .missing{color:#a40e26;font-weight:600}svg{max-width:100%;height:auto;border:1px solid #d0d7de;border-radius:4px}
        .footer{color:#57606a;font-size:.8rem;margin-top:2rem}
        """

    public static func html(_ t: DrillTimeline) -> String {
        let e = htmlEscape
        var h: [String] = []
        h.append("<!DOCTYPE html>")
        h.append("<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">")
        h.append("<head>")
        h.append("<meta charset=\"utf-8\"/>")
        h.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>")
        h.append("<title>\(e(title(t)))</title>")
        h.append("<style>\(style)</style>")
        h.append("</head>")
        h.append("<body>")
        h.append("<h1>\(e(title(t)))</h1>")
        let verdict = t.clock.state == .running && !t.clock.isOver ? "running" : t.clock.isOver || t.clock.state == .stoppedUnrecovered ? "over" : "under"
        h.append("<p class=\"verdict \(verdict)\">\(e(t.clock.summary))</p>")
        h.append("<table class=\"facts\">")
        func row(_ label: String, _ value: String, cls: String? = nil) {
            h.append("<tr><th>\(e(label))</th><td\(cls.map { " class=\"\($0)\"" } ?? "")>\(value)</td></tr>")
        }
        row("Scenario", e(t.drill.scenario))
        row("Participant", e(t.drill.participant ?? "anyone"))
        row("Started", e("\(stamp(t.drill.startedAt)) by \(t.drill.startedBy)"))
        row("Stopped", e(stopped(t)))
        row("Target", DrillFormat.clock(t.clock.target), cls: "num")
        for time in times(t) {
            if let s = time.seconds {
                row(time.label, DrillFormat.clock(s), cls: "num")
            } else {
                row(time.label, e(time.missing), cls: "missing")
            }
        }
        h.append("</table>")

        h.append("<h2>Timeline</h2>")
        h.append(svg(t))

        h.append("<h2>Milestones</h2>")
        if t.milestones.isEmpty {
            h.append("<p>None yet.</p>")
        } else {
            h.append("<table class=\"milestones\"><tr><th>#</th><th>Milestone</th><th>What</th><th>At</th><th>Since previous</th><th>By</th></tr>")
            for (i, m) in t.milestones.enumerated() {
                let what = m.step.map { s in s.name + (s.title.map { ": \($0)" } ?? "") + (m.kind == .stepFinished ? " (\(m.detail))" : "") } ?? m.detail
                h.append(
                    "<tr><td class=\"num\">\(i + 1)</td><td>\(e(m.label))</td><td>\(e(what))</td><td class=\"num\">\(DrillFormat.offset(m.offset))</td>"
                        + "<td class=\"num\">\(DrillFormat.clock(m.sincePrevious))</td><td>\(e(m.by ?? ""))</td></tr>")
            }
            h.append("</table>")
        }

        h.append("<h2>Runbook steps</h2>")
        if t.steps.isEmpty {
            h.append("<p>No runbook step was started.</p>")
        } else {
            h.append("<table class=\"steps\"><tr><th>Runbook</th><th>Step</th><th>Title</th><th>Started</th><th>Finished</th><th>Took</th></tr>")
            for s in t.steps {
                let started = DrillFormat.offset(s.start.timeIntervalSince(t.drill.startedAt))
                let finished = s.end.map { DrillFormat.offset($0.timeIntervalSince(t.drill.startedAt)) + " (\(s.outcome ?? "done"))" } ?? "not finished"
                let number = "\(s.step.number)" + (s.step.id.map { " (\($0))" } ?? "")
                h.append(
                    "<tr><td>\(e(s.step.runbook))</td><td>\(e(number))</td><td>\(e(s.step.title ?? ""))</td><td class=\"num\">\(started)</td>"
                        + "<td class=\"num\">\(e(finished))</td><td class=\"num\">\(took(s))</td></tr>")
            }
            h.append("</table>")
        }
        if let c = t.currentStep, t.drill.stoppedAt == nil {
            h.append("<p>Now on \(e(c.step.name)) for \(DrillFormat.clock(c.elapsed))" + (c.lastOutcome.map { " (last try: \(e($0)))" } ?? "") + ".</p>")
        }

        h.append("<h2>Notes</h2>")
        if t.drill.notes.isEmpty {
            h.append("<p>No notes.</p>")
        } else {
            h.append("<ul class=\"notes\">")
            for n in t.drill.notes {
                h.append("<li><span class=\"num\">\(DrillFormat.offset(n.at.timeIntervalSince(t.drill.startedAt)))</span> \(e(n.by)): \(e(n.text))</li>")
            }
            h.append("</ul>")
        }

        h.append("<h2>Event log</h2>")
        h.append("<table class=\"events\"><tr><th>At</th><th>Who</th><th>What</th></tr>")
        for ev in t.events {
            h.append("<tr><td class=\"num\">\(DrillFormat.offset(ev.offset))</td><td>\(e(ev.by ?? ""))</td><td>\(e(ev.text))</td></tr>")
        }
        h.append("</table>")
        h.append("<p class=\"footer\">Generated by Breakglass at \(stamp(t.now)).</p>")
        h.append("</body>")
        h.append("</html>")
        return h.joined(separator: "\n") + "\n"
    }

    // MARK: - The SVG timeline

    /// Geometry of the chart, in SVG user units.
    public struct Layout: Sendable, Equatable {
        public var width: Double = 960
        /// Left margin holding the row labels.
        public var gutter: Double = 250
        public var right: Double = 24
        public var markY: Double = 52
        public var firstRowY: Double = 96
        public var rowHeight: Double = 24
        public init() {}
        public var plotWidth: Double { width - gutter - right }
    }

    /// The seconds the time axis spans: the drill's time or its target, whichever is longer, rounded
    /// up to a whole tick; and the tick.
    static func axis(_ t: DrillTimeline) -> (span: Double, tick: Double) {
        let longest = max(t.end.timeIntervalSince(t.drill.startedAt), t.clock.target, t.clock.elapsed, t.milestones.last?.offset ?? 0, 1)
        let ticks: [Double] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]
        let tick = ticks.first { longest / $0 <= 8 } ?? (longest / 8).rounded(.up)
        return ((longest / tick).rounded(.up) * tick, tick)
    }

    static func number(_ x: Double) -> String {
        let r = (x * 10).rounded() / 10
        return r == r.rounded() ? String(Int64(r)) : String(r)
    }

    static func cut(_ s: String, _ n: Int) -> String { s.count <= n ? s : String(s.prefix(n - 1)) + "…" }

    static func markClass(_ kind: DrillMilestone.Kind) -> String {
        switch kind {
        case .detected: "m-detected"
        case .acknowledged: "m-ack"
        case .accessGranted: "m-access"
        case .stepStarted: "m-step-start"
        case .stepFinished: "m-step-end"
        case .recovered: "m-recovered"
        }
    }

    /// The timeline as an inline SVG: one circle (`class="milestone …"`) per milestone in order on the
    /// top lane, numbered as in the milestone table, each with a tooltip; the recovery clock as a bar
    /// under them (green under the target, red over); one bar (`class="step …"`) per runbook step,
    /// open-ended when unfinished; the target as a dashed line; a time axis.
    public static func svg(_ t: DrillTimeline, layout: Layout = Layout()) -> String {
        let e = htmlEscape
        let l = layout
        let (span, tick) = axis(t)
        let start = t.drill.startedAt
        func x(_ seconds: Double) -> Double { l.gutter + max(0, min(seconds, span)) / span * l.plotWidth }
        let rows = max(1, t.steps.count)
        let axisY = l.firstRowY + Double(rows) * l.rowHeight + 8
        let height = axisY + 36
        var s: [String] = []
        s.append(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" width=\"\(number(l.width))\" height=\"\(number(height))\" "
                + "viewBox=\"0 0 \(number(l.width)) \(number(height))\" role=\"img\" aria-label=\"\(e("Timeline of drill \(t.drill.id)"))\">")
        // A <style> inside an SVG in an HTML page applies to the whole page, so every rule is scoped
        // to the timeline (unscoped, `.num` shrank the page's table cells of class `num` as well).
        let rules = [
            "text{font-family:system-ui,sans-serif;font-size:12px;fill:#1d2329}", ".lane{font-weight:600}", ".num{font-size:10px}",
            ".milestone{stroke:#fff;stroke-width:1.5}", ".m-detected{fill:#cf222e}", ".m-ack{fill:#bf8700}", ".m-access{fill:#8250df}",
            ".m-step-start{fill:#0969da}", ".m-step-end{fill:#54aeff}", ".m-recovered{fill:#1a7f37}", ".guide{stroke:#8c959f;stroke-dasharray:2 3}",
            ".clock{fill:#1a7f37;opacity:.35}", ".clock.over{fill:#cf222e}", ".clock.running{fill:#bf8700}", ".step{fill:#0969da}",
            ".step.skipped{fill:#8c959f}", ".step.open{fill:#0969da;opacity:.35;stroke:#0969da;stroke-dasharray:4 2}",
            ".target{stroke:#cf222e;stroke-width:1.5;stroke-dasharray:6 4}", ".axis{stroke:#57606a}", ".tick{stroke:#d0d7de}",
        ]
        s.append("<style>" + rules.map { "svg.timeline " + $0 }.joined() + "</style>")
        s.append("<rect x=\"0\" y=\"0\" width=\"\(number(l.width))\" height=\"\(number(height))\" fill=\"#fff\"/>")

        // Grid and axis.
        var tickAt = 0.0
        while tickAt <= span + 0.001 {
            let tx = number(x(tickAt))
            s.append("<line class=\"tick\" x1=\"\(tx)\" y1=\"\(number(l.markY - 16))\" x2=\"\(tx)\" y2=\"\(number(axisY))\"/>")
            s.append("<text class=\"num\" x=\"\(tx)\" y=\"\(number(axisY + 16))\" text-anchor=\"middle\">\(DrillFormat.clock(tickAt))</text>")
            tickAt += tick
        }
        s.append("<line class=\"axis\" x1=\"\(number(l.gutter))\" y1=\"\(number(axisY))\" x2=\"\(number(l.gutter + l.plotWidth))\" y2=\"\(number(axisY))\"/>")
        s.append("<text x=\"\(number(l.gutter + l.plotWidth))\" y=\"\(number(axisY + 30))\" text-anchor=\"end\">time since the drill started</text>")
        // A legend of the mark colours, under the labels' gutter and the axis's start.
        let legend: [(DrillMilestone.Kind, String)] = [
            (.detected, "detected"), (.acknowledged, "acknowledged"), (.accessGranted, "access"), (.stepStarted, "step start"),
            (.stepFinished, "step end"), (.recovered, "recovered"),
        ]
        for (i, item) in legend.enumerated() {
            let lx = 8 + Double(i) * 96
            s.append("<circle class=\"\(markClass(item.0))\" cx=\"\(number(lx + 4))\" cy=\"\(number(axisY + 26))\" r=\"4\"/>")
            s.append("<text class=\"num\" x=\"\(number(lx + 11))\" y=\"\(number(axisY + 30))\">\(item.1)</text>")
        }

        // The target.
        let targetX = number(x(t.clock.target))
        s.append("<line class=\"target\" x1=\"\(targetX)\" y1=\"\(number(l.markY - 16))\" x2=\"\(targetX)\" y2=\"\(number(axisY))\"/>")
        s.append("<text x=\"\(targetX)\" y=\"\(number(axisY - 4))\" text-anchor=\"end\">target \(DrillFormat.clock(t.clock.target)) </text>")

        // The recovery clock.
        s.append("<text class=\"lane\" x=\"8\" y=\"\(number(l.markY + 4))\">Milestones</text>")
        let clockClass = t.clock.isOver ? "over" : t.clock.state == .running ? "running" : t.clock.state == .stoppedUnrecovered ? "over" : "under"
        s.append("<text class=\"lane\" x=\"8\" y=\"\(number(l.markY + 26))\">Time to recovery</text>")
        s.append(
            "<rect class=\"clock \(clockClass)\" x=\"\(number(x(0)))\" y=\"\(number(l.markY + 16))\" width=\"\(number(max(1, x(t.clock.elapsed) - x(0))))\" height=\"12\">"
                + "<title>\(e(t.clock.summary))</title></rect>")

        // Guides for the headline milestones.
        for m in t.milestones where m.step == nil {
            let mx = number(x(m.offset))
            s.append("<line class=\"guide\" x1=\"\(mx)\" y1=\"\(number(l.markY))\" x2=\"\(mx)\" y2=\"\(number(axisY))\"/>")
        }

        // Runbook steps.
        if t.steps.isEmpty {
            s.append("<text x=\"8\" y=\"\(number(l.firstRowY + 16))\">No runbook step was started.</text>")
        }
        let endOffset = t.end.timeIntervalSince(start)
        for (i, bar) in t.steps.enumerated() {
            let y = l.firstRowY + Double(i) * l.rowHeight
            let label = "\(bar.step.runbook) \(bar.step.number)" + (bar.step.title.map { " · \($0)" } ?? bar.step.id.map { " · \($0)" } ?? "")
            s.append("<text class=\"step-label\" x=\"8\" y=\"\(number(y + 15))\">\(e(cut(TerminalText.sanitize(label), 34)))<title>\(e(label))</title></text>")
            let from = bar.start.timeIntervalSince(start)
            let to = bar.end.map { $0.timeIntervalSince(start) } ?? endOffset
            let cls = bar.end == nil ? "open" : bar.outcome == "skipped" ? "skipped" : "done"
            let tip = "\(bar.step.name): \(DrillFormat.offset(from)) to " + (bar.end.map { _ in DrillFormat.offset(to) + " (\(took(bar)))" } ?? "not finished")
            s.append(
                "<rect class=\"step \(cls)\" x=\"\(number(x(from)))\" y=\"\(number(y + 4))\" width=\"\(number(max(2, x(to) - x(from))))\" height=\"14\">"
                    + "<title>\(e(tip))</title></rect>")
        }

        // Milestone marks last, on top; numbers staggered over three rows so close ones stay legible.
        // A step's marks are smaller than the headline ones, so a step that starts or finishes a few
        // seconds after detection or recovery does not hide it.
        for (i, m) in t.milestones.enumerated() {
            let mx = number(x(m.offset))
            let what = m.step.map { "\(m.label): \($0.name)" + ($0.title.map { " \($0)" } ?? "") } ?? "\(m.label): \(m.detail)"
            s.append("<text class=\"num\" x=\"\(mx)\" y=\"\(number(l.markY - 10 - Double(i % 3) * 10))\" text-anchor=\"middle\">\(i + 1)</text>")
            s.append(
                "<circle class=\"milestone \(markClass(m.kind))\" data-kind=\"\(m.kind.rawValue)\" cx=\"\(mx)\" cy=\"\(number(l.markY))\" r=\"\(m.step == nil ? 6 : 4)\">"
                    + "<title>\(e("\(i + 1). \(what) at \(DrillFormat.offset(m.offset))"))</title></circle>")
        }
        s.append("</svg>")
        return s.joined(separator: "\n")
    }
}
