import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 9: "the HTML parses and renders in a headless browser to a screenshot whose timeline is
/// visible". A drill report is written to a temporary folder and opened by a real headless browser
/// (Debian's chromium-headless-shell, which `make test` installs: scripts/bootstrap.sh) with no
/// network: the DOM it parsed must hold the SVG with a mark per milestone, and its screenshot, decoded
/// pixel by pixel (scripts/png-to-ppm.py), must show the timeline: each mark, step bar, the recovery
/// clock, the target line and the legend in the colours of the SVG's own style sheet, where the DOM
/// says they are. The screenshots are kept in $BREAKGLASS_TEST_RUN_DIR for a human to look at.
@Suite(.serialized) struct DrillReportBrowserTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    // MARK: - Two realistic drills, as pure data

    static let t0 = Date(timeIntervalSince1970: 1_805_000_000)

    static func at(_ seconds: TimeInterval) -> Date { t0.addingTimeInterval(seconds) }

    static func entry(
        _ seq: Int64, _ seconds: TimeInterval, _ kind: String, by user: String, incident: String? = nil, runbook: String? = nil,
        step: String? = nil, role: String? = nil, outcome: String? = nil, detail: String? = nil, service: String? = nil, operation: String? = nil
    ) -> AuditEntry {
        AuditEntry(
            seq: seq, at: ISO8601.formatMilliseconds(at(seconds)),
            draft: AuditDraft(
                kind: kind, actor: AuditActor(user: user), context: AuditContext(incident: incident, runbook: runbook, step: step, role: role),
                service: service, operation: operation, outcome: outcome, detail: detail),
            prevHash: "", hash: "")
    }

    /// rds-reboot's six steps, titled as `runbook show` heads them.
    static let catalog: [String: [DrillStepInfo]] = [
        "rds-reboot": [
            DrillStepInfo(title: "Read and do: Open the Alarms view and check that prod-db-writer-health is red."),
            DrillStepInfo(id: "available", title: "Check, reading only (runs without asking): DescribeDBInstances"),
            DrillStepInfo(id: "reboot", title: "Change something in AWS (asks you to type the name): RebootDBInstance"),
            DrillStepInfo(title: "Wait, reading DescribeDBInstances every 15s for up to 15m"),
            DrillStepInfo(title: "Wait for the alarm prod-db-writer-health to be OK, for up to 15m."),
            DrillStepInfo(title: "Read and do: The database server is back. Note the time of the restart."),
        ]
    ]

    /// alice recovers db-writer-stuck in 10:32 against 15:00: detected, acknowledged, access granted,
    /// rds-reboot's six steps (the second fails once before it passes), recovered, stopped at 13:00.
    static func recoveredDrill() -> DrillTimeline {
        let r = "rds-reboot"
        let entries = [
            entry(1, 40, "incident.opened", by: "watch", incident: "12", detail: "prod-db-writer-health in ALARM"),
            entry(2, 125, "incident.acknowledged", by: "alice", incident: "12"),
            entry(3, 160, "access.requested", by: "alice", role: "db-break-glass"),
            entry(4, 210, "access.granted", by: "alice", role: "db-break-glass", outcome: "succeeded"),
            entry(5, 250, "runbook.started", by: "alice", runbook: r, detail: "run 21 of rds-reboot (6 steps)"),
            entry(6, 280, "runbook.step", by: "alice", runbook: r, step: "21/1", outcome: "done"),
            entry(7, 310, "runbook.step", by: "alice", runbook: r, step: "21/2", outcome: "failed", detail: "DBInstanceStatus is modifying"),
            entry(8, 360, "runbook.step", by: "alice", runbook: r, step: "21/2", outcome: "done"),
            entry(9, 405, "runbook.confirmed", by: "alice", runbook: r, step: "21/3", detail: "alice typed prod-aurora-1"),
            entry(10, 410, "aws.intent", by: "alice", runbook: r, step: "21/3", service: "rds", operation: "RebootDBInstance"),
            entry(11, 412, "aws.outcome", by: "alice", runbook: r, step: "21/3", outcome: "succeeded"),
            entry(12, 412, "runbook.step", by: "alice", runbook: r, step: "21/3", outcome: "done"),
            entry(13, 560, "runbook.step", by: "alice", runbook: r, step: "21/4", outcome: "done"),
            entry(14, 640, "runbook.step", by: "alice", runbook: r, step: "21/5", outcome: "done"),
            entry(15, 690, "runbook.step", by: "alice", runbook: r, step: "21/6", outcome: "done"),
            entry(16, 690, "runbook.finished", by: "alice", runbook: r, outcome: "succeeded", detail: "run 21 succeeded"),
        ]
        let drill = Drill(
            id: 7, scenario: "db-writer-stuck", participant: "alice", target: .seconds(900), startedBy: "dana", startedAt: t0, stoppedAt: at(780),
            stoppedBy: "dana",
            notes: [
                DrillNote(at: at(90), by: "dana", text: "alice reads the alarm history first"),
                DrillNote(at: at(400), by: "dana", text: "typed the instance name to confirm the reboot"),
            ])
        let signals = DrillSignals(alarmedAt: ["prod-db-writer-health": at(30), "prod-checkout-timeouts": at(55)], recoveredAt: at(632))
        return DrillTimeline.build(drill: drill, entries: entries, signals: signals, steps: catalog, now: at(900))
    }

    /// bob does not recover it: access comes late, the reboot fails twice, the facilitator stops the
    /// drill at 20:00 against a 10:00 target, with step 3 still open.
    static func unrecoveredDrill() -> DrillTimeline {
        let r = "rds-reboot"
        let entries = [
            entry(1, 20, "incident.opened", by: "watch", incident: "13", detail: "prod-db-writer-health in ALARM"),
            entry(2, 180, "incident.acknowledged", by: "bob", incident: "13"),
            entry(3, 240, "access.requested", by: "bob", role: "db-break-glass"),
            entry(4, 450, "access.granted", by: "bob", role: "db-break-glass", outcome: "succeeded"),
            entry(5, 480, "runbook.started", by: "bob", runbook: r, detail: "run 22 of rds-reboot (6 steps)"),
            entry(6, 510, "runbook.step", by: "bob", runbook: r, step: "22/1", outcome: "done"),
            entry(7, 550, "runbook.step", by: "bob", runbook: r, step: "22/2", outcome: "done"),
            entry(8, 710, "aws.intent", by: "bob", runbook: r, step: "22/3", service: "rds", operation: "RebootDBInstance"),
            entry(9, 712, "aws.outcome", by: "bob", runbook: r, step: "22/3", outcome: "failed", detail: "InvalidDBInstanceState"),
            entry(10, 712, "runbook.step", by: "bob", runbook: r, step: "22/3", outcome: "failed", detail: "InvalidDBInstanceState"),
            entry(11, 900, "runbook.step", by: "bob", runbook: r, step: "22/3", outcome: "outcome-unknown"),
        ]
        let drill = Drill(
            id: 8, scenario: "db-writer-stuck", participant: "bob", target: .seconds(600), startedBy: "dana", startedAt: t0, stoppedAt: at(1200),
            stoppedBy: "dana", notes: [DrillNote(at: at(960), by: "dana", text: "bob escalated to the database team")])
        let signals = DrillSignals(alarmedAt: ["prod-db-writer-health": at(15)], recoveredAt: nil)
        return DrillTimeline.build(drill: drill, entries: entries, signals: signals, steps: catalog, now: at(1300))
    }

    // MARK: - Tests

    @Test func aRecoveredDrillsReportRendersWithItsTimelineVisible() async throws {
        let t = Self.recoveredDrill()
        #expect(t.milestones.count == 16 && t.steps.count == 6 && t.clock.state == .recovered)
        let problems = try await Self.offPool { try Self.renderingProblems(t, html: DrillReport.html(t), name: "recovered") }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test func anUnrecoveredDrillsReportRendersWithItsTimelineVisible() async throws {
        let t = Self.unrecoveredDrill()
        #expect(t.milestones.count == 8 && t.steps.count == 3 && t.steps.last?.end == nil && t.clock.state == .stoppedUnrecovered)
        let problems = try await Self.offPool { try Self.renderingProblems(t, html: DrillReport.html(t), name: "not-recovered") }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    /// The checks can fail: a page without its SVG fails them in the DOM and in the pixels, and a page
    /// whose marks a style sheet hides, in the pixels alone.
    @Test func aPageWithoutAVisibleTimelineFailsTheChecks() async throws {
        let t = Self.recoveredDrill()
        let html = DrillReport.html(t)
        let withoutSVG = try #require(html.range(of: "<svg").flatMap { open in html.range(of: "</svg>").map { html[open.lowerBound..<$0.upperBound] } })
        let stripped = html.replacingOccurrences(of: withoutSVG, with: "")
        let noSVG = try await Self.offPool { try Self.renderingProblems(t, html: stripped, name: "broken-no-svg") }
        #expect(noSVG.contains { $0.hasPrefix("DOM:") }, "\(noSVG)")
        #expect(noSVG.contains { $0.hasPrefix("layout:") }, "\(noSVG)")

        let hidden = html.replacingOccurrences(of: "</head>", with: "<style>.milestone,rect.step{visibility:hidden}</style></head>")
        let hiddenMarks = try await Self.offPool { try Self.renderingProblems(t, html: hidden, name: "broken-hidden-marks") }
        #expect(!hiddenMarks.contains { $0.hasPrefix("DOM:") }, "the DOM still holds every mark: \(hiddenMarks)")
        #expect(hiddenMarks.filter { $0.hasPrefix("pixels: mark") }.count >= 6, "\(hiddenMarks)")
        #expect(hiddenMarks.contains { $0.hasPrefix("pixels: step bar") }, "\(hiddenMarks)")
    }

    // MARK: - Rendering and checking

    /// Runs `work` on a thread of its own, off the cooperative pool: the browser runs, the decoder
    /// and the pixel loops block for seconds, and the pool has only as many threads as cores.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Swift.Result { try work() }) }.start()
        }
    }

    /// Renders `html` (the report of `t`, or a broken copy) in the headless browser and returns what
    /// is wrong with it, each line prefixed `DOM:`, `layout:` or `pixels:`. Throws only when the
    /// browser or the decoder is missing or fails to produce anything.
    static func renderingProblems(_ t: DrillTimeline, html: String, name: String) throws -> [String] {
        let browser = try Browser.locate()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bg-drill-browser-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let page = folder + "/DrillReport.html"
        try html.write(toFile: page, atomically: true, encoding: .utf8)
        let keep = MotoHarness.runDirectory + "/drill-report-\(name)"
        try? FileManager.default.removeItem(atPath: keep + ".html")
        try? FileManager.default.copyItem(atPath: page, toPath: keep + ".html")

        var problems: [String] = []

        // 1. What the browser parsed.
        let dom = try browser.dumpDOM(page, folder: folder)
        let svgText = dom.range(of: "<svg").flatMap { open in dom.range(of: "</svg>", range: open.lowerBound..<dom.endIndex).map { dom[open.lowerBound..<$0.upperBound] } }
        guard let svgText else {
            problems.append("DOM: the browser's DOM has no <svg> element")
            problems.append(contentsOf: try pageOnlyProblems(browser, page: page, folder: folder, keep: keep))
            return problems
        }
        let svgTag = tags("svg", in: svgText).first ?? [:]
        let marks = tags("circle", in: svgText).filter { ($0["class"] ?? "").split(separator: " ").contains("milestone") }
        let bars = tags("rect", in: svgText).filter { ($0["class"] ?? "").split(separator: " ").first == "step" }
        if dom.components(separatedBy: "<svg").count - 1 != 1 { problems.append("DOM: more than one <svg>") }
        if marks.count != t.milestones.count { problems.append("DOM: \(marks.count) milestone marks for \(t.milestones.count) milestones") }
        if marks.map({ $0["data-kind"] ?? "" }) != t.milestones.map(\.kind.rawValue) { problems.append("DOM: the marks are not the milestones in order") }
        if bars.count != t.steps.count { problems.append("DOM: \(bars.count) step bars for \(t.steps.count) steps") }
        if dom.contains("<script") || dom.contains("<iframe") || dom.contains("<img") { problems.append("DOM: holds a script, frame or image") }
        let sheet = StyleSheet(String(svgText.range(of: "<style>").flatMap { o in svgText.range(of: "</style>", range: o.upperBound..<svgText.endIndex).map { svgText[o.upperBound..<$0.lowerBound] } } ?? ""))

        // A <style> inside the SVG styles the whole HTML page: each of its rules must name the SVG.
        for selector in sheet.selectors where !selector.hasPrefix("svg.timeline ") {
            problems.append("DOM: the SVG's style rule `\(selector)` is not scoped to svg.timeline, so it styles the whole page")
        }

        // 2. Where the SVG is drawn: a copy of the page with a magenta outline round it (an outline
        // takes no room, so the layout is the same), screenshotted; the outline's box, less the
        // outline and the 1px border, is the SVG's.
        let probe = folder + "/DrillReport-probe.html"
        try html.replacingOccurrences(of: "</head>", with: "<style>svg.timeline{outline:3px solid #ff00ff}</style></head>").write(
            toFile: probe, atomically: true, encoding: .utf8)
        let probeImage = try browser.screenshot(probe, folder: folder, png: folder + "/probe.png")
        guard let outline = probeImage.box(of: RGB(255, 0, 255), tolerance: 0) else {
            problems.append("layout: the SVG takes no room on the page (no outline drawn round it)")
            return problems
        }
        let inset = 3 + 1
        let box = (x: outline.x0 + inset, y: outline.y0 + inset, width: outline.x1 - outline.x0 + 1 - 2 * inset, height: outline.y1 - outline.y0 + 1 - 2 * inset)
        let width = Double(svgTag["width"] ?? "") ?? 0, height = Double(svgTag["height"] ?? "") ?? 0
        let scale = width > 0 ? Double(box.width) / width : 0
        if scale < 0.5 || scale > 1.5 { problems.append("layout: the SVG is drawn \(box.width) px wide for \(width) units") }
        if abs(Double(box.height) - height * scale) > 2 { problems.append("layout: the SVG is drawn \(box.height) px high for \(height) units at scale \(scale)") }
        if outline.y1 >= probeImage.height - 1 { problems.append("layout: the SVG runs off the bottom of the \(probeImage.height) px window") }

        // 3. The real screenshot.
        let image = try browser.screenshot(page, folder: folder, png: folder + "/page.png")
        try? FileManager.default.removeItem(atPath: keep + ".png")
        try? FileManager.default.copyItem(atPath: folder + "/page.png", toPath: keep + ".png")
        func px(_ x: Double, _ y: Double) -> (Int, Int) { (box.x + Int((x * scale).rounded(.down)), box.y + Int((y * scale).rounded(.down))) }
        let inSVG: (Int, Int) -> Bool = { x, y in x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height }

        // Not blank: text above and below the timeline, text in it.
        let ink = image.count(where: { x, y, c in !inSVG(x, y) && c.isInk })
        let inkInSVG = image.count(where: { x, y, c in inSVG(x, y) && c.isInk })
        if ink < 3000 { problems.append("pixels: the page around the timeline is almost blank (\(ink) dark pixels)") }
        if inkInSVG < 400 { problems.append("pixels: the timeline has almost no text (\(inkInSVG) dark pixels)") }

        // Every mark shows its kind's colour where the DOM puts it: of the pixels well inside its
        // disc (inside the white stroke, less a pixel of antialiasing) that no later mark, drawn over
        // it, covers, nearly all are its colour. A mark wholly under a later one (the same instant) is
        // left out, but at least half the marks must be seen.
        let discs = marks.map { (cx: Double($0["cx"] ?? "") ?? -1000, cy: Double($0["cy"] ?? "") ?? -1000, r: Double($0["r"] ?? "") ?? 0) }
        var seen = 0
        for (i, mark) in marks.enumerated() {
            let classes = (mark["class"] ?? "").split(separator: " ").map(String.init)
            guard let colour = sheet.colour(classes) else {
                problems.append("pixels: mark \(i + 1) has no fill colour in the SVG's style sheet")
                continue
            }
            if !colour.standsOutFromWhite { problems.append("pixels: mark \(i + 1) is painted \(colour), which does not stand out from the white page") }
            let d = discs[i], later = discs[(i + 1)...]
            let reach = Int((d.r * scale).rounded(.up)) + 1
            let (mx, my) = px(d.cx, d.cy)
            var inside = 0, hits = 0
            for y in my - reach...my + reach {
                for x in mx - reach...mx + reach where x >= 0 && y >= 0 && x < image.width && y < image.height {
                    let ux = (Double(x - box.x) + 0.5) / scale, uy = (Double(y - box.y) + 0.5) / scale
                    guard ((ux - d.cx) * (ux - d.cx) + (uy - d.cy) * (uy - d.cy)).squareRoot() <= d.r - 1.75 else { continue }
                    guard !later.contains(where: { ((ux - $0.cx) * (ux - $0.cx) + (uy - $0.cy) * (uy - $0.cy)).squareRoot() <= $0.r + 1.75 }) else { continue }
                    inside += 1
                    if image.at(x, y).near(colour, 12) { hits += 1 }
                }
            }
            guard inside >= 4 else { continue }
            seen += 1
            if Double(hits) < Double(inside) * 0.8 {
                problems.append("pixels: mark \(i + 1) (\(classes.last ?? "")) is not drawn at (\(mx), \(my)): \(hits) of its \(inside) pixels are \(colour)")
            }
        }
        if seen * 2 < marks.count { problems.append("pixels: only \(seen) of \(marks.count) marks are clear of the marks drawn over them") }

        // Step bars: the middle of each is its colour, and finished ones are mostly filled with it.
        for (i, bar) in bars.enumerated() {
            let classes = (bar["class"] ?? "").split(separator: " ").map(String.init)
            let x = Double(bar["x"] ?? "") ?? -1000, y = Double(bar["y"] ?? "") ?? -1000
            let w = Double(bar["width"] ?? "") ?? 0, h = Double(bar["height"] ?? "") ?? 0
            guard let colour = sheet.colour(classes) else {
                problems.append("pixels: step bar \(i + 1) has no fill colour in the SVG's style sheet")
                continue
            }
            if !colour.standsOutFromWhite { problems.append("pixels: step bar \(i + 1) is painted \(colour), which does not stand out from the white page") }
            let (x0, y0) = px(x, y), (x1, y1) = px(x + w, y + h)
            guard x1 - x0 >= 6 else { continue }
            let inner = image.count(x: x0 + 2...x1 - 3, y: y0 + 2...y1 - 3, colour: colour, tolerance: 12)
            let area = (x1 - x0 - 4) * (y1 - y0 - 4)
            if Double(inner) < Double(area) * 0.6 { problems.append("pixels: step bar \(i + 1) (\(classes.joined(separator: " "))) fills \(inner) of \(area) pixels with \(colour)") }
        }

        // The recovery clock's bar.
        if let clock = tags("rect", in: svgText).first(where: { ($0["class"] ?? "").split(separator: " ").first == "clock" }) {
            let classes = (clock["class"] ?? "").split(separator: " ").map(String.init)
            let (x0, y0) = px(Double(clock["x"] ?? "") ?? 0, Double(clock["y"] ?? "") ?? 0)
            let (x1, y1) = px((Double(clock["x"] ?? "") ?? 0) + (Double(clock["width"] ?? "") ?? 0), (Double(clock["y"] ?? "") ?? 0) + (Double(clock["height"] ?? "") ?? 0))
            if let colour = sheet.colour(classes), x1 - x0 > 6 {
                if !colour.standsOutFromWhite { problems.append("pixels: the recovery clock is painted \(colour), which does not stand out from the white page") }
                let n = image.count(x: x0 + 2...x1 - 3, y: y0 + 2...y1 - 3, colour: colour, tolerance: 12)
                let area = (x1 - x0 - 4) * (y1 - y0 - 4)
                if Double(n) < Double(area) * 0.6 { problems.append("pixels: the recovery clock (\(classes.joined(separator: " "))) fills \(n) of \(area) pixels with \(colour)") }
            } else {
                problems.append("pixels: the recovery clock has no colour or no width")
            }
        } else {
            problems.append("DOM: no recovery clock bar")
        }

        // The target line: dashes of its stroke colour down its column. A 1.5-unit line off the
        // pixel grid is antialiased over two columns, so a row shows it when a pixel there is at
        // least half its colour over white.
        if let target = tags("line", in: svgText).first(where: { $0["class"] == "target" }), let colour = sheet.colour(["target"], property: "stroke") {
            let (x, top) = px(Double(target["x1"] ?? "") ?? 0, Double(target["y1"] ?? "") ?? 0)
            let bottom = px(0, Double(target["y2"] ?? "") ?? 0).1
            let rows = (top...bottom).filter { y in (x - 1...x + 1).contains { image.at($0, y).coverage(of: colour) >= 0.5 } }.count
            if Double(rows) < Double(bottom - top) * 0.4 { problems.append("pixels: the target line shows in \(rows) of \(bottom - top) rows at x \(x)") }
        } else {
            problems.append("DOM: no target line, or no stroke for it")
        }

        // The legend: a dot of each mark colour.
        let legend = tags("circle", in: svgText).filter { !($0["class"] ?? "").split(separator: " ").contains("milestone") }
        if legend.count != DrillMilestone.Kind.allCases.count { problems.append("DOM: \(legend.count) legend dots") }
        for dot in legend {
            let classes = (dot["class"] ?? "").split(separator: " ").map(String.init)
            guard let colour = sheet.colour(classes) else { continue }
            let (x, y) = px(Double(dot["cx"] ?? "") ?? 0, Double(dot["cy"] ?? "") ?? 0)
            if image.count(x: x - 1...x + 1, y: y - 1...y + 1, colour: colour, tolerance: 12) < 5 { problems.append("pixels: legend dot \(classes.joined()) missing at (\(x), \(y))") }
        }
        return problems
    }

    /// For a page without an SVG: still screenshot it (a human may look), and say whether any
    /// timeline colour shows at all.
    static func pageOnlyProblems(_ browser: Browser, page: String, folder: String, keep: String) throws -> [String] {
        let image = try browser.screenshot(page, folder: folder, png: folder + "/page.png")
        try? FileManager.default.removeItem(atPath: keep + ".png")
        try? FileManager.default.copyItem(atPath: folder + "/page.png", toPath: keep + ".png")
        let marks = StyleSheet(DrillReport.svg(recoveredDrill()).components(separatedBy: "<style>").last?.components(separatedBy: "</style>").first ?? "")
        let colours = ["m-detected", "m-ack", "m-access", "m-step-start", "m-step-end", "m-recovered"].compactMap { marks.colour([$0]) }
        let seen = colours.filter { image.count(colour: $0, tolerance: 12) > 20 }
        return ["layout: no timeline drawn" + (seen.isEmpty ? " (none of its colours anywhere on the page)" : " (yet \(seen) show)")]
    }

    /// The start tags named `name` in `text`, as attribute dictionaries (values as serialised).
    static func tags(_ name: String, in text: Substring) -> [[String: String]] {
        guard let tag = try? Regex("<\(name)\\b([^>]*)>") else { return [] }
        return text.matches(of: tag).map { match in
            var attributes: [String: String] = [:]
            let inside = text[match.range].dropFirst(name.count + 1)
            for a in inside.matches(of: #/([A-Za-z_:][-A-Za-z0-9_:.]*)="([^"]*)"/#) {
                attributes[String(a.output.1)] = String(a.output.2).replacingOccurrences(of: "&amp;", with: "&")
            }
            return attributes
        }
    }
}

// MARK: - Colours from the SVG's style sheet

struct RGB: Equatable, CustomStringConvertible {
    var r: Int, g: Int, b: Int
    init(_ r: Int, _ g: Int, _ b: Int) { (self.r, self.g, self.b) = (r, g, b) }

    /// `#rgb` or `#rrggbb`.
    init?(hex: String) {
        var h = hex.trimmingCharacters(in: .whitespaces)
        guard h.hasPrefix("#") else { return nil }
        h.removeFirst()
        if h.count == 3 { h = h.map { "\($0)\($0)" }.joined() }
        guard h.count == 6, let v = Int(h, radix: 16) else { return nil }
        self.init(v >> 16 & 0xFF, v >> 8 & 0xFF, v & 0xFF)
    }

    /// Drawn at `opacity` over white.
    func over(white opacity: Double) -> RGB {
        func mix(_ c: Int) -> Int { Int((Double(c) * opacity + 255 * (1 - opacity)).rounded()) }
        return RGB(mix(r), mix(g), mix(b))
    }

    /// How much of `colour` over white this pixel is (0 white, 1 the colour), or 0 when it is not
    /// on the way from white to it at all.
    func coverage(of colour: RGB) -> Double {
        let line = [255 - colour.r, 255 - colour.g, 255 - colour.b].map(Double.init)
        let here = [255 - r, 255 - g, 255 - b].map(Double.init)
        let length = line.reduce(0) { $0 + $1 * $1 }
        guard length > 0 else { return 0 }
        let alpha = zip(line, here).reduce(0) { $0 + $1.0 * $1.1 } / length
        let off = zip(line, here).map { $1 - alpha * $0 }.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return off <= 24 ? alpha : 0
    }

    func near(_ o: RGB, _ tolerance: Int) -> Bool { abs(r - o.r) <= tolerance && abs(g - o.g) <= tolerance && abs(b - o.b) <= tolerance }
    /// Far enough from white (the page and the SVG's background) to be seen.
    var standsOutFromWhite: Bool { max(255 - r, 255 - g, 255 - b) >= 48 }
    /// Dark enough to be text.
    var isInk: Bool { r + g + b < 3 * 128 }
    var description: String { String(format: "#%02x%02x%02x", r, g, b) }
}

/// The rules of a flat style sheet (`svg.timeline .a{fill:#x}svg.timeline .a.b{fill:#y;opacity:.35}`), enough to know the
/// colour an element of some classes is painted: the most specific rule giving the property wins,
/// opacity likewise, blended over the white background.
struct StyleSheet {
    var rules: [(selector: [String], declarations: [String: String])] = []
    /// Every selector, as written.
    var selectors: [String] = []

    init(_ css: String) {
        for block in css.split(separator: "}") {
            let parts = block.split(separator: "{", maxSplits: 1)
            guard parts.count == 2 else { continue }
            var declarations: [String: String] = [:]
            for d in parts[1].split(separator: ";") {
                let kv = d.split(separator: ":", maxSplits: 1)
                if kv.count == 2 { declarations[kv[0].trimmingCharacters(in: .whitespaces)] = kv[1].trimmingCharacters(in: .whitespaces) }
            }
            for selector in parts[0].split(separator: ",") {
                let s = selector.trimmingCharacters(in: .whitespaces)
                selectors.append(s)
                // The classes of the last compound selector (`svg.timeline .step.open`: step, open);
                // its ancestors hold for every element of the SVG.
                let last = s.split(separator: " ").last ?? ""
                let classes = last.split(separator: ".", omittingEmptySubsequences: false).dropFirst().map(String.init)
                guard !classes.isEmpty else { continue }
                rules.append((classes, declarations))
            }
        }
    }

    func value(_ property: String, for classes: [String]) -> String? {
        rules.filter { rule in rule.declarations[property] != nil && rule.selector.allSatisfy(classes.contains) }
            .enumerated().max { ($0.element.selector.count, $0.offset) < ($1.element.selector.count, $1.offset) }?.element.declarations[property]
    }

    func colour(_ classes: [String], property: String = "fill") -> RGB? {
        guard let base = value(property, for: classes).flatMap(RGB.init(hex:)) else { return nil }
        let opacity = value("opacity", for: classes).flatMap(Double.init) ?? 1
        return base.over(white: opacity)
    }
}

// MARK: - The screenshot's pixels

struct Pixels {
    let width: Int, height: Int
    let bytes: [UInt8]

    /// A binary PPM (P6, maxval 255), as scripts/png-to-ppm.py writes it.
    init(ppm data: Data) throws {
        let bytes = [UInt8](data)
        var fields: [Int] = [], i = 2
        guard bytes.count > 2, bytes[0] == UInt8(ascii: "P"), bytes[1] == UInt8(ascii: "6") else { throw Failure("not a P6 PPM") }
        while fields.count < 3 && i < bytes.count {
            while i < bytes.count && (bytes[i] == 32 || bytes[i] == 10 || bytes[i] == 13 || bytes[i] == 9) { i += 1 }
            var n = 0
            while i < bytes.count && bytes[i] >= 48 && bytes[i] <= 57 { n = n * 10 + Int(bytes[i] - 48); i += 1 }
            fields.append(n)
        }
        i += 1
        guard fields.count == 3, fields[2] == 255, bytes.count - i == fields[0] * fields[1] * 3 else { throw Failure("bad PPM header or size") }
        width = fields[0]
        height = fields[1]
        self.bytes = Array(bytes[i...])
    }

    func at(_ x: Int, _ y: Int) -> RGB {
        let o = (y * width + x) * 3
        return RGB(Int(bytes[o]), Int(bytes[o + 1]), Int(bytes[o + 2]))
    }

    func count(where match: (Int, Int, RGB) -> Bool) -> Int {
        var n = 0
        for y in 0..<height { for x in 0..<width where match(x, y, at(x, y)) { n += 1 } }
        return n
    }

    func count(x: ClosedRange<Int> = 0...Int.max, y: ClosedRange<Int> = 0...Int.max, colour: RGB, tolerance: Int) -> Int {
        let xs = max(0, x.lowerBound)...min(width - 1, x.upperBound), ys = max(0, y.lowerBound)...min(height - 1, y.upperBound)
        guard !xs.isEmpty, !ys.isEmpty, xs.lowerBound <= xs.upperBound, ys.lowerBound <= ys.upperBound else { return 0 }
        var n = 0
        for py in ys { for px in xs where at(px, py).near(colour, tolerance) { n += 1 } }
        return n
    }

    /// The bounding box of the pixels near `colour`.
    func box(of colour: RGB, tolerance: Int) -> (x0: Int, y0: Int, x1: Int, y1: Int)? {
        var box: (x0: Int, y0: Int, x1: Int, y1: Int)?
        for y in 0..<height {
            for x in 0..<width where at(x, y).near(colour, tolerance) {
                if let b = box { box = (min(b.x0, x), min(b.y0, y), max(b.x1, x), max(b.y1, y)) } else { box = (x, y, x, y) }
            }
        }
        return box
    }
}

struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

// MARK: - The headless browser

/// Chromium, headless, with no network: a proxy that goes nowhere, every host name unresolvable, no
/// background services, and a throwaway profile. Each run is a process group of its own, killed
/// whole (by the leader's pid) when it outlives its time and swept after it exits.
struct Browser {
    let executable: String
    static let names = ["chromium-headless-shell", "chromium"]
    static let timeout: Double = 90

    /// $BREAKGLASS_BROWSER, else the first of `names` on PATH. Missing is a failure, not a skip:
    /// `make test` installs it.
    static func locate() throws -> Browser {
        let env = ProcessInfo.processInfo.environment
        if let given = env["BREAKGLASS_BROWSER"], !given.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: given) else { throw Failure("BREAKGLASS_BROWSER=\(given) is not an executable file") }
            return Browser(executable: given)
        }
        for dir in (env["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            for name in names where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") { return Browser(executable: "\(dir)/\(name)") }
        }
        throw Failure(
            "no headless browser: none of \(names.joined(separator: ", ")) is on PATH and BREAKGLASS_BROWSER is not set. "
                + "`make test` installs Debian's chromium-headless-shell (scripts/bootstrap.sh); run it, or "
                + "`sudo apt-get install --no-install-recommends chromium-headless-shell`.")
    }

    func arguments(_ folder: String) -> [String] {
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-breakpad",
            "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>", "--host-resolver-rules=MAP * ~NOTFOUND",
            "--user-data-dir=\(folder)/profile", "--force-device-scale-factor=1", "--hide-scrollbars", "--window-size=1280,1600",
        ]
    }

    func dumpDOM(_ page: String, folder: String) throws -> String {
        let out = folder + "/dom.html"
        try run(arguments(folder) + ["--dump-dom", URL(fileURLWithPath: page).absoluteString], folder: folder, stdout: out)
        return try String(contentsOfFile: out, encoding: .utf8)
    }

    /// Screenshots `page` to `png` and decodes it.
    func screenshot(_ page: String, folder: String, png: String) throws -> Pixels {
        try? FileManager.default.removeItem(atPath: png)
        try run(arguments(folder) + ["--screenshot=\(png)", URL(fileURLWithPath: page).absoluteString], folder: folder, stdout: folder + "/screenshot.out")
        guard FileManager.default.fileExists(atPath: png) else { throw Failure("the browser wrote no screenshot at \(png)") }
        let ppm = png + ".ppm"
        let python = ProcessInfo.processInfo.environment["PATH"].flatMap { path in
            path.split(separator: ":").map { "\($0)/python3" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }
        guard let python else { throw Failure("python3 is not on PATH: it decodes the screenshot (scripts/png-to-ppm.py); `make test` installs it") }
        let decoded = try Subprocess.run(python, [DrillReportBrowserTests.repository + "/scripts/png-to-ppm.py", png, ppm], timeout: 120)
        guard decoded.status == 0 else { throw Failure("png-to-ppm.py failed (\(decoded.status)): \(decoded.stderr)") }
        return try Pixels(ppm: Data(contentsOf: URL(fileURLWithPath: ppm)))
    }

    /// Runs the browser to its exit, stdout to a file, stderr kept for the failure message.
    func run(_ args: [String], folder: String, stdout: String) throws {
        let stderrPath = stdout + ".err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        // A throwaway home: nothing read from or written to the user's.
        let environment = [
            "PATH=\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")", "HOME=\(folder)", "XDG_CONFIG_HOME=\(folder)/config",
            "XDG_CACHE_HOME=\(folder)/cache", "LANG=C.UTF-8", "TMPDIR=\(folder)",
        ]
        let argv = ([executable] + args).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw Failure("cannot run \(executable): \(String(cString: strerror(rc)))") }

        // Wait for the leader without reaping it (its pid, and so the group id, stays ours), then
        // kill what is left of the group, then reap.
        let deadline = Date().addingTimeInterval(Self.timeout)
        var timedOut = false
        while true {
            var info = siginfo_t()
            let r = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
            if r == 0 && info._sifields._sigchld.si_pid != 0 { break }
            if r < 0 && errno != EINTR { break }
            if Date() > deadline {
                timedOut = true
                break
            }
            usleep(20_000)
        }
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let errors = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        if timedOut { throw Failure("the browser ran over \(Int(Self.timeout)) s and was killed: \(errors.suffix(2000))") }
        let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        guard code == 0 else { throw Failure("the browser exited \(code): \(errors.suffix(2000))") }
    }
}
