@testable import BreakglassTUI
import Testing

@Suite("Sparkline")
struct SparklineTests {
    let unicode = LineGlyphs.unicode.levels
    let ascii = LineGlyphs.ascii.levels

    @Test
    func scalesFromTheMinimumToTheMaximum() {
        let spark = Sparkline(values: [0, 1, 2, 3, 4, 5, 6, 7], levels: unicode)
        #expect(spark.rows == ["▁▂▃▄▅▆▇█"])
        #expect(spark.minimum == 0 && spark.maximum == 7)
        // Offset and scale do not matter, only the shape.
        #expect(Sparkline(values: [100, 170, 240], levels: unicode).rows == Sparkline(values: [-10, -5, 0], levels: unicode).rows)
        #expect(Sparkline(values: [100, 170, 240], levels: unicode).rows == ["▁▅█"])
    }

    @Test
    func aFlatSeriesSitsAtHalfHeightNotAtZero() {
        #expect(Sparkline(values: [5, 5, 5], levels: unicode).rows == ["▄▄▄"])
        #expect(Sparkline(values: [0, 0], height: 2, levels: unicode).rows == ["  ", "██"])
        #expect(Sparkline(values: [3], levels: unicode).minimum == 3)
    }

    @Test
    func gapsAreBlankAndDoNotMoveTheScale() {
        let spark = Sparkline(values: [1, nil, 9, .nan, .infinity, 5], levels: unicode)
        #expect(spark.rows == ["▁ █  ▅"])
        #expect(spark.minimum == 1 && spark.maximum == 9)
        let empty = Sparkline(values: [nil, nil], height: 2, levels: unicode)
        #expect(empty.rows == ["  ", "  "])
        #expect(empty.minimum == nil && empty.maximum == nil)
    }

    @Test
    func tallerChartsStackFullBlocksUnderThePartialLevel() {
        // 3 rows × 8 levels: the minimum at step 1, the maximum at step 24, the middle at 13.
        let spark = Sparkline(values: [0, 50, 100], height: 3, levels: unicode)
        #expect(spark.rows == [
            "  █",
            " ▅█",
            "▁██",
        ])
        #expect(spark.rows.allSatisfy { $0.count == 3 })
    }

    @Test
    func columnsCanBeWiderThanOneCell() {
        #expect(Sparkline(values: [0, nil, 1], columnWidth: 2, levels: unicode).rows == ["▁▁  ██"])
    }

    @Test
    func asciiLevelsDrawOnTerminalsWithoutUnicode() {
        let spark = Sparkline(values: [0, 1, 2, 3, 4, 5, 6, 7, nil], levels: ascii)
        #expect(spark.rows == ["_.,-~=*# "])
        #expect(spark.rows[0].unicodeScalars.allSatisfy { $0.isASCII })
        #expect(Sparkline(values: [0, 10], height: 2, levels: ascii).rows == [" #", "_#"])
    }

    @Test
    func fittingKeepsSpikesAndGaps() {
        let values: [Double?] = [1, 9, 2, 2, nil, nil, 3, 1]
        #expect(Sparkline.fit(values, toWidth: 4) == [9, 2, nil, 3])
        #expect(Sparkline.fit(values, toWidth: 8) == values)
        #expect(Sparkline.fit(values, toWidth: 20) == values)
        #expect(Sparkline.fit(values, toWidth: 0) == [])
        // Uneven runs still cover every value once.
        #expect(Sparkline.fit([1, 2, 3, 4, 5, 6, 7], toWidth: 3) == [2, 4, 7])
    }
}
