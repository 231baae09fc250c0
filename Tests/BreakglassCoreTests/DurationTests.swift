import BreakglassCore
import Testing

@Suite("Duration syntax")
struct DurationTests {
    @Test(arguments: [
        ("90s", 90_000), ("5m", 300_000), ("1h", 3_600_000), ("1h30m", 5_400_000), ("2m30s", 150_000),
        ("500ms", 500), ("1s500ms", 1_500), ("1h0m5s", 3_605_000), ("0s", 0), ("90m", 5_400_000),
        ("12h", 43_200_000), ("1h1m1s1ms", 3_661_001), ("999999999ms", 999_999_999),
    ] as [(String, Int64)])
    func parses(_ text: String, _ milliseconds: Int64) {
        #expect(DurationSyntax.parse(text) == .milliseconds(milliseconds), "\(text)")
    }

    @Test(arguments: [
        "", "5", "300", "5 m", " 5m", "5m ", "1.5h", "-5m", "+5m", "5min", "5M", "m", "1m1h", "1s1m", "5m5m",
        "1d", "5mss", "1h 30m", "1234567890s", "٣s", "5sm",
    ])
    func refuses(_ text: String) {
        #expect(DurationSyntax.parse(text) == nil, "\(text)")
    }

    @Test func bareNumbersAreRecognisedToSayAddAUnit() {
        for text in ["5", "300", "1.5", "-2", "+7", ".5", "5."] { #expect(DurationSyntax.isBareNumber(text), "\(text)") }
        for text in ["", "5m", "1.2.3", "-", ".", "five", "5 "] { #expect(!DurationSyntax.isBareNumber(text), "\(text)") }
    }

    @Test(arguments: [
        (0, "0s"), (500, "500ms"), (90_000, "1m30s"), (3_600_000, "1h"), (5_400_000, "1h30m"), (3_605_000, "1h5s"),
        (43_200_000, "12h"), (1_001, "1s1ms"),
    ] as [(Int64, String)])
    func formatsShortestAndRoundTrips(_ milliseconds: Int64, _ text: String) {
        #expect(DurationSyntax.format(.milliseconds(milliseconds)) == text)
        #expect(DurationSyntax.parse(text) == .milliseconds(milliseconds))
    }

    @Test func formatDropsWhatTheSyntaxCannotSay() {
        #expect(DurationSyntax.format(.microseconds(1_500)) == "1ms")
        #expect(DurationSyntax.format(.seconds(-5)) == "0s")
        #expect(DurationSyntax.seconds(.milliseconds(90_999)) == 90)
        #expect(DurationSyntax.milliseconds(.seconds(2)) == 2000)
    }
}
