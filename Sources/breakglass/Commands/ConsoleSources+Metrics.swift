import BreakglassAWS
import BreakglassCore
import BreakglassTUI
import Foundation

// Wiring for the console's alarms screen (issue 7): the alarm detail's sparkline reads the metric
// through the console's AWS client.

func consoleMetricSource(_ wiring: ConsoleWiring) -> MetricSource? {
    metricSource(MetricFetcher(client: wiring.client))
}

/// GetMetricData through `fetcher`; an AWS error keeps its code, message and request id apart so the
/// detail can show each.
func metricSource(_ fetcher: MetricFetcher) -> MetricSource {
    MetricSource { query in
        do throws(AWSError) {
            return try await fetcher.fetch(query)
        } catch {
            throw metricFailure(error)
        }
    }
}

func metricFailure(_ error: AWSError) -> MetricFailure {
    switch error {
    case .service(let e): MetricFailure(code: e.code, message: e.message, requestID: e.requestID)
    case .malformedResponse(_, _, let id, let reason): MetricFailure(code: nil, message: "unreadable answer: " + reason, requestID: id)
    default: MetricFailure(code: nil, message: error.description, requestID: nil)
    }
}
