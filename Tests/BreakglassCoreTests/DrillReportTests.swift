import BreakglassAWS
import BreakglassCore
import Foundation
import Testing

#if canImport(FoundationXML)
    import FoundationXML
    typealias XMLNodeElement = FoundationXML.XMLElement
#else
    typealias XMLNodeElement = Foundation.XMLElement
#endif

/// The drill report: Markdown and a self-contained HTML page with an SVG timeline.
@Suite struct DrillReportTests {
    typealias F = DrillFixture

    static let hostile = "<script>alert('x')</script> & \u{1b}[31mred \"q\""

    /// The full run, with a hostile note, alarm name and step title.
    static func timeline(stoppedAfter: TimeInterval? = 400, recovered: Bool = true) -> DrillTimeline {
        let notes = [
            DrillNote(at: F.at(100), by: "fac", text: hostile), DrillNote(at: F.at(150), by: "fac", text: "alice found the purge step"),
        ]
        var catalog = F.catalog
        catalog["sqs-flush"]?[1].title = "Purge <b>the</b> queue & wait"
        let signals = DrillSignals(
            alarmedAt: ["prod-orders-queue-depth": F.at(5), "<img src=x onerror=alert(1)>": F.at(8)], recoveredAt: recovered ? F.at(210) : nil)
        return DrillTimeline.build(
            drill: F.drill(stoppedAfter: stoppedAfter, notes: notes), entries: F.fullRun(), signals: signals, steps: catalog, now: F.at(500))
    }

    static func parse(_ html: String) throws -> XMLDocument { try XMLDocument(xmlString: html, options: []) }

    /// Every element named `name` (without its namespace), in document order.
    static func elements(_ doc: XMLDocument, _ name: String) -> [XMLNodeElement] {
        var found: [XMLNodeElement] = []
        func walk(_ node: XMLNode) {
            if let element = node as? XMLNodeElement, (element.localName ?? element.name) == name { found.append(element) }
            for child in node.children ?? [] { walk(child) }
        }
        walk(doc)
        return found
    }

    /// An attribute's value (looked up by name among the attributes: FoundationXML's
    /// `attribute(forName:)` finds nothing on elements in a default namespace).
    static func attr(_ element: XMLNodeElement, _ name: String) -> String? {
        element.attributes?.first { ($0.localName ?? $0.name) == name }?.stringValue
    }

    /// Those with `wanted` among their classes.
    static func elements(_ doc: XMLDocument, _ name: String, class wanted: String) -> [XMLNodeElement] {
        elements(doc, name).filter { element in
            (Self.attr(element, "class") ?? "").split(separator: " ").contains { $0 == wanted }
        }
    }

    @Test func untrustedTextEndsInert() throws {
        let t = Self.timeline()
        let html = DrillReport.html(t)
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<b>"))
        #expect(!html.contains("\u{1b}"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; [31mred &quot;q&quot;"))
        #expect(html.contains("Purge &lt;b&gt;the&lt;/b&gt; queue &amp; wait"))
        // The only <style> and no <script> at all; no external asset.
        #expect(html.components(separatedBy: "http://").count - 1 == 2, "no address but the two xmlns namespace names")
        #expect(!html.contains("https://") && !html.contains("url("))

        let md = DrillReport.markdown(t)
        #expect(!md.contains("<script"))
        #expect(!md.contains("<img"))
        #expect(!md.contains("\u{1b}"))
        #expect(md.contains("&lt;script&gt;alert('x')&lt;/script&gt; &amp; \\[31mred \"q\""))
        // A pipe in a note cannot break the table it sits in.
        #expect(DrillReport.markdownEscape("a|b") == "a\\|b")
    }

    #if canImport(FoundationXML) || os(macOS)
        @Test func theHTMLIsWellFormedXMLWithOneMarkPerMilestoneInTimeOrder() throws {
            let t = Self.timeline()
            let doc = try Self.parse(DrillReport.html(t))
            let marks = Self.elements(doc, "circle", class: "milestone")
            #expect(marks.count == t.milestones.count)
            #expect(marks.count == 10)
            #expect(marks.map { Self.attr($0, "data-kind") ?? "" } == t.milestones.map(\.kind.rawValue))
            let xs = marks.map { Double(Self.attr($0, "cx") ?? "") ?? -1 }
            // Non-decreasing overall; strictly increasing where the times differ.
            for i in xs.indices.dropFirst() {
                if t.milestones[i].at > t.milestones[i - 1].at {
                    #expect(xs[i] > xs[i - 1], "mark \(i + 1) is right of mark \(i)")
                } else {
                    #expect(xs[i] == xs[i - 1])
                }
            }
            // One bar per runbook step, starting where its start mark is.
            let bars = Self.elements(doc, "rect", class: "step")
            #expect(bars.count == t.steps.count && bars.count == 3)
            let startX = marks.enumerated().filter { t.milestones[$0.offset].kind == .stepStarted }.map { xs[$0.offset] }
            let barX: [Double] = bars.map { bar in Double(Self.attr(bar, "x") ?? "") ?? -1 }
            #expect(barX == startX)
            // The tooltip of a mark is the milestone, escaped text read back as text.
            let hostileAlarmTitle = Self.elements(doc, "circle", class: "milestone").first?.stringValue
            #expect(hostileAlarmTitle == "1. Detected: prod-orders-queue-depth in ALARM at +00:05")
            // The page's texts read back intact through the parser.
            let notes = Self.elements(doc, "li").map { $0.stringValue ?? "" }
            #expect(notes.first == "+01:40 fac: <script>alert('x')</script> & [31mred \"q\"")
            #expect(Self.elements(doc, "script").isEmpty)
            #expect(Self.elements(doc, "svg").count == 1 && Self.elements(doc, "style").count == 2)
        }

        @Test func timesScaleWithTheAxisAndTheTargetLineSitsAtTheTarget() throws {
            let t = Self.timeline()
            let svg = try Self.parse(DrillReport.svg(t))
            let target = try #require(Self.elements(svg, "line", class: "target").first)
            let marks = Self.elements(svg, "circle", class: "milestone")
            let x0 = Double(marks.first.flatMap { Self.attr($0, "cx") } ?? "") ?? 0
            let layout = DrillReport.Layout()
            // Axis: the drill ran 400 s with a 900 s target: 900 s in 2-minute ticks, rounded up to 960 s.
            let scale = layout.plotWidth / 960
            #expect(abs(x0 - (layout.gutter + 5 * scale)) < 0.11)
            #expect(abs((Double(Self.attr(target, "x1") ?? "") ?? 0) - (layout.gutter + 900 * scale)) < 0.11)
        }
    #endif

    @Test func bothCarryTheFactsTheTimesTheNotesAndTheLog() {
        let t = Self.timeline()
        for text in [DrillReport.markdown(t), DrillReport.html(t)] {
            for expected in [
                "orders-backlog", "alice", "15:00", "Time to detect", "00:05", "Time to acknowledge", "01:00", "Time to access", "02:00",
                "Time to recover", "03:30", "recovered in 03:30, 11:30 under the 15:00 target", "alice found the purge step",
                "sends sqs.PurgeQueue", "Step 2 finished", "Check the queue depth", "drill 3 stopped",
            ] {
                #expect(text.contains(expected), "\(expected) in \(text.hasPrefix("<!DOCTYPE") ? "HTML" : "Markdown")")
            }
        }
        let md = DrillReport.markdown(t)
        #expect(md.contains("| 1 | Detected | prod-orders-queue-depth in ALARM | +00:05 | 00:05 |  |"))
        #expect(md.contains("| 2 | Acknowledged | incident 7 | +01:00 | 00:55 | alice |"))
        #expect(md.contains("| 10 | Recovered | the recovery condition held | +03:30 | 00:10 |  |"))
        #expect(md.contains("| sqs-flush | 1 (depth) | Check the queue depth | +02:10 | +02:20 (done) | 00:10 |"))
        #expect(md.contains("- +02:30 fac: alice found the purge step"))
        #expect(md.contains("| +02:31 | alice | sends sqs.PurgeQueue (sqs-flush step 4/2) |"))
    }

    @Test func aDrillWithoutRecoverySaysNotRecoveredRatherThanATime() throws {
        let t = Self.timeline(stoppedAfter: 400, recovered: false)
        #expect(t.clock.state == .stoppedUnrecovered)
        let md = DrillReport.markdown(t)
        #expect(md.contains("| Time to recover | not recovered |"))
        #expect(md.contains("**not recovered: stopped after 06:40, 08:20 under the 15:00 target**"))
        let html = DrillReport.html(t)
        #expect(html.contains("<tr><th>Time to recover</th><td class=\"missing\">not recovered</td></tr>"))
        #expect(!html.contains("data-kind=\"recovered\"") && html.contains("data-kind=\"step_finished\""))
        // Still running: "not recovered yet", and the step the participant is on.
        let running = Self.timeline(stoppedAfter: nil, recovered: false)
        #expect(DrillReport.markdown(running).contains("| Time to recover | not recovered yet |"))
        #if canImport(FoundationXML) || os(macOS)
            _ = try Self.parse(DrillReport.html(running))
        #endif
    }

    @Test func anEmptyDrillStillRendersAndParses() throws {
        let t = DrillTimeline.build(drill: F.drill(), entries: [], signals: DrillSignals(), now: F.at(0))
        let md = DrillReport.markdown(t)
        #expect(md.contains("None yet.") && md.contains("No runbook step was started.") && md.contains("No notes."))
        #expect(md.contains("| Time to detect | not detected yet |"))
        #if canImport(FoundationXML) || os(macOS)
            let doc = try Self.parse(DrillReport.html(t))
            #expect(Self.elements(doc, "circle", class: "milestone").isEmpty)
        #endif
    }
}
