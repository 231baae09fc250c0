/// The version printed by `breakglass --version` and sent in the User-Agent.
public enum BreakglassVersion {
    public static let string = "0.1.0"
}
