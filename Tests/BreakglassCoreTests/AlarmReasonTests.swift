import BreakglassCore
import XCTest

final class AlarmReasonTests: XCTestCase {
    func testBriefForms() {
        let table: [(String, String, UInt)] = [
            // M out of the last N, values with timestamps, the minimum clause.
            ("Threshold Crossed: 3 out of the last 3 datapoints [96.2 (20/11/26 10:01:00), 95.1 (20/11/26 10:00:00)] were greater than the threshold (90.0) (minimum 3 datapoints for OK -> ALARM transition).",
             "96.2, 95.1 > 90.0 (3 of last 3)", #line),
            // Values without timestamps.
            ("Threshold Crossed: 3 datapoints [24.8, 27.1, 22.9] were greater than the threshold (3.0).", "24.8, 27.1, 22.9 > 3.0", #line),
            ("Threshold Crossed: 1 datapoint [251840.0] was greater than the threshold (10000.0).", "251840.0 > 10000.0", #line),
            // Negations turn into the opposite comparison.
            ("Threshold Crossed: 1 datapoint [12.0] was not greater than the threshold (50.0).", "12.0 <= 50.0", #line),
            ("Threshold Crossed: 1 datapoint [0.0] was not greater than or equal to the threshold (1.0).", "0.0 < 1.0", #line),
            ("Threshold Crossed: 1 datapoint [4.0] was not less than the threshold (1.0).", "4.0 >= 1.0", #line),
            ("Threshold Crossed: 1 datapoint [9.0 (21/11/26 10:00:00)] was not less than or equal to the threshold (1.0).", "9.0 > 1.0", #line),
            ("Threshold Crossed: 3 out of the last 3 datapoints [0.0 (14/11/23 22:08:00)] were less than the threshold (1.0) (minimum 3 datapoints for OK -> ALARM transition).",
             "0.0 < 1.0 (3 of last 3)", #line),
            ("Threshold Crossed: 1 datapoint [-3.5 (21/11/26 10:00:00)] was less than or equal to the threshold (-1.0).", "-3.5 <= -1.0", #line),
            // The values after the sentence.
            ("Threshold Crossed: 2 out of the last 5 datapoints were greater than the threshold (80.0). The most recent datapoints which crossed the threshold: [85.0 (21/11/26 10:00:00), 90.5 (21/11/26 09:59:00)] (minimum 2 datapoints for OK -> ALARM transition).",
             "85.0, 90.5 > 80.0 (2 of last 5)", #line),
            // No values at all.
            ("Threshold Crossed: 1 datapoint was greater than the threshold (80).", "1 datapoint > 80", #line),
            ("Threshold Crossed: 4 datapoints were greater than the threshold (80).", "4 datapoints > 80", #line),
            // Missing data.
            ("Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [Breaching].",
             "no data for 1 period (treated as breaching)", #line),
            ("Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [NonBreaching].",
             "no data for 3 periods (treated as nonbreaching)", #line),
        ]
        for (reason, brief, line) in table {
            XCTAssertEqual(AlarmReason.brief(reason), brief, line: line)
        }
    }

    /// Anything that is not CloudWatch's threshold sentence stays as it is, word for word.
    func testOtherReasonsUnchanged() {
        for reason in [
            "",
            "Unchecked: Initial alarm creation",
            "Insufficient Data: 1 datapoint was unknown.",
            "Queue depth is climbing: 4,200 messages",
            "Threshold Crossed",
            "Threshold Crossed: ",
            "Threshold Crossed: something happened",
            "Threshold Crossed: 1 datapoint [a] was greater than the threshold (1.0).",  // a value that is not a number
            "Threshold Crossed: 1 datapoint [1.0] was greater than the threshold 1.0.",  // no parentheses
            "Threshold Crossed: x datapoints [1.0] were greater than the threshold (1.0).",
            "Thresholds Crossed: 1 datapoint [5.0] was greater than the upper thresholds [4.0]",  // anomaly band
            "threshold crossed: 1 datapoint [1.0] was greater than the threshold (0.5).",  // not CloudWatch's casing
            "Threshold Crossed: 1 datapoint [1.0 (unclosed was greater than the threshold (0.5).",
        ] {
            XCTAssertEqual(AlarmReason.brief(reason), reason, reason)
        }
    }

    /// Escape sequences stay inside the brief text's pieces, and the sanitiser that runs after it
    /// still sees them: brief never drops or invents characters around a control byte.
    func testControlCharactersPassThroughToTheSanitiser() {
        let hostile = "Threshold Crossed: 1 datapoint [1.0] was greater than the threshold (0.5\u{1B}[2J)."
        let brief = AlarmReason.brief(hostile)
        XCTAssertEqual(brief, "1.0 > 0.5\u{1B}[2J")
        XCTAssertFalse(TerminalText.sanitize(brief).contains("\u{1B}"))
    }
}
