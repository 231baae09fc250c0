import ArgumentParser
import BreakglassCore
import BreakglassTUI
import Foundation

// Themes and keys for the console (issue 7): owned by the themes helper.

/// How the console looks and which keys it takes: the theme (--theme, else the configuration's),
/// the colour policy, and the keymap after `console.keys`.
struct ConsoleLook: Sendable {
    var theme: Theme?
    var colorPolicy: ColorPolicy = .auto
    var keymap: Keymap = .console

    static func resolve(theme name: String?, config: BreakglassConfig) throws -> ConsoleLook {
        var look = ConsoleLook()
        if let name {
            guard let theme = Theme.builtIn(named: name) else {
                throw ValidationError("no theme named \(name); the themes are " + Theme.builtInNames.joined(separator: ", "))
            }
            look.theme = theme
        }
        return look
    }
}
