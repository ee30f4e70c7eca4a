using System.Globalization;
using Switchboard.Configuration;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Switchboard.Compliance;

/// <summary>A refusal of a rule set: the element's path (e.g. <c>rules[2].pattern</c>), its line and column, and why.</summary>
internal sealed record RuleSetError(string Path, long Line, long Column, string Message)
{
    public override string ToString() => Line > 0 ? $"{Path}: {Message} (line {Line}, column {Column})" : $"{Path}: {Message}";
}

internal sealed record RuleSetLoadResult(RuleSet? RuleSet, IReadOnlyList<RuleSetError> Errors)
{
    public bool Ok => RuleSet is not null;
}

/// <summary>
/// Reads a compliance rule set from YAML (docs/composer.md). Strict: unknown fields, wrong kinds, duplicate rule ids,
/// patterns that do not compile, timeouts outside 1–1000 ms are refused with their position. Hostile input: size is
/// capped, anchors and aliases are refused (no alias bombs).
/// </summary>
internal static class RuleSetLoader
{
    public const int MaxChars = 256 * 1024;
    public const int MaxRules = 500;
    public const int MaxExamples = 500;

    private static readonly Dictionary<string, RuleKind> Kinds = new(StringComparer.Ordinal)
    {
        ["banned_phrases"] = RuleKind.BannedPhrases,
        ["required_phrases"] = RuleKind.RequiredPhrases,
        ["regex"] = RuleKind.Regex,
        ["personal_data"] = RuleKind.PersonalData,
        ["links"] = RuleKind.Links,
        ["tone"] = RuleKind.Tone,
        ["legal_review"] = RuleKind.LegalReview,
    };

    private static readonly Dictionary<string, PersonalDataType> DataTypes = new(StringComparer.Ordinal)
    {
        ["email"] = PersonalDataType.Email,
        ["phone"] = PersonalDataType.Phone,
        ["card"] = PersonalDataType.Card,
        ["iban"] = PersonalDataType.Iban,
    };

    private static readonly Dictionary<RuleKind, string[]> FieldsOf = new()
    {
        [RuleKind.BannedPhrases] = ["phrases"],
        [RuleKind.LegalReview] = ["phrases"],
        [RuleKind.RequiredPhrases] = ["phrases", "when"],
        [RuleKind.Regex] = ["pattern", "timeout_ms"],
        [RuleKind.PersonalData] = ["types"],
        [RuleKind.Links] = ["allowed_domains"],
        [RuleKind.Tone] = ["max_caps_ratio", "min_letters", "max_exclamations"],
    };

    public static string KindName(RuleKind kind) => Kinds.First(k => k.Value == kind).Key;

    public static RuleSetLoadResult Load(string yaml)
    {
        if (yaml.Length > MaxChars)
        {
            return Fail("$", $"the rule set is larger than {MaxChars} characters");
        }

        var (root, refusal) = StrictYaml.Read(yaml);
        if (refusal is not null)
        {
            return Fail("$", refusal.Message, refusal.Mark);
        }

        if (root is null)
        {
            return Fail("$", "the rule set is empty");
        }

        return new Builder().Build(root);
    }

    private static RuleSetLoadResult Fail(string path, string message, Mark? mark = null) =>
        new(null, [new RuleSetError(path, mark?.Line ?? 0, mark?.Column ?? 0, message)]);

    private sealed class Builder
    {
        private readonly List<RuleSetError> _errors = [];

        private void Error(string path, YamlNode? node, string message) =>
            _errors.Add(new RuleSetError(path, node?.Start.Line ?? 0, node?.Start.Column ?? 0, message));

        public RuleSetLoadResult Build(YamlNode root)
        {
            var top = Fields(root, "$", ["rules", "examples"]);
            if (top is null)
            {
                return new(null, _errors);
            }

            var rules = new List<ComplianceRule>();
            if (top.TryGetValue("rules", out var rulesNode))
            {
                var items = Sequence(rulesNode, "rules");
                if (items is not null && items.Count > MaxRules)
                {
                    Error("rules", rulesNode, $"at most {MaxRules} rules");
                }

                for (var i = 0; items is not null && i < Math.Min(items.Count, MaxRules); i++)
                {
                    if (Rule(items[i], $"rules[{i}]") is { } rule)
                    {
                        if (rules.Any(r => r.Id == rule.Id))
                        {
                            Error($"rules[{i}].id", items[i], $"duplicate rule id '{rule.Id}'");
                        }

                        rules.Add(rule);
                    }
                }
            }
            else
            {
                Error("rules", root, "a rule set needs a 'rules' list");
            }

            var examples = new List<RuleExample>();
            if (top.TryGetValue("examples", out var exNode))
            {
                var items = Sequence(exNode, "examples");
                if (items is not null && items.Count > MaxExamples)
                {
                    Error("examples", exNode, $"at most {MaxExamples} examples");
                }

                for (var i = 0; items is not null && i < Math.Min(items.Count, MaxExamples); i++)
                {
                    if (Example(items[i], $"examples[{i}]", rules) is { } ex)
                    {
                        examples.Add(ex);
                    }
                }
            }

            return _errors.Count > 0 ? new(null, _errors) : new(new RuleSet(rules, examples), []);
        }

        private ComplianceRule? Rule(YamlNode node, string path)
        {
            var allowed = new[] { "id", "kind", "severity", "reason" }.Concat(FieldsOf.Values.SelectMany(v => v)).Distinct().ToArray();
            var f = Fields(node, path, allowed);
            if (f is null)
            {
                return null;
            }

            var id = Text(f, "id", path, node);
            var kindName = Text(f, "kind", path, node);
            if (id is null || kindName is null)
            {
                return null;
            }

            if (!Kinds.TryGetValue(kindName, out var kind))
            {
                Error(path + ".kind", f["kind"], $"unknown kind '{kindName}'; expected one of {string.Join(", ", Kinds.Keys)}");
                return null;
            }

            foreach (var key in f.Keys.Where(k => k is not ("id" or "kind" or "severity" or "reason") && !FieldsOf[kind].Contains(k)))
            {
                Error($"{path}.{key}", f[key], $"'{key}' does not apply to a {kindName} rule");
            }

            var severity = kind == RuleKind.LegalReview ? Severity.Review : Severity.Block;
            if (f.TryGetValue("severity", out var sevNode))
            {
                switch (Scalar(sevNode, path + ".severity"))
                {
                    case "block": severity = Severity.Block; break;
                    case "review": severity = Severity.Review; break;
                    case { } other: Error(path + ".severity", sevNode, $"severity must be block or review, not '{other}'"); break;
                }
            }

            var rule = new ComplianceRule(id, kind, severity, f.TryGetValue("reason", out var r) ? Scalar(r, path + ".reason") : null);
            switch (kind)
            {
                case RuleKind.BannedPhrases or RuleKind.LegalReview:
                    rule = rule with { Phrases = Phrases(f, "phrases", path, node) };
                    break;
                case RuleKind.RequiredPhrases:
                    rule = rule with { Phrases = Phrases(f, "phrases", path, node), When = f.ContainsKey("when") ? Phrases(f, "when", path, node) : null };
                    break;
                case RuleKind.Regex:
                    var pattern = Text(f, "pattern", path, node);
                    var timeout = ComplianceChecker.DefaultRegexTimeout;
                    if (f.TryGetValue("timeout_ms", out var tNode))
                    {
                        var ms = Number(tNode, path + ".timeout_ms", 1, 1000);
                        timeout = ms is null ? timeout : TimeSpan.FromMilliseconds(ms.Value);
                    }

                    if (pattern is not null && CompiledPatterns.TryCompile(pattern, timeout, out var err) is null)
                    {
                        Error(path + ".pattern", f["pattern"], "the pattern does not compile: " + err);
                    }

                    rule = rule with { Pattern = pattern, Timeout = timeout };
                    break;
                case RuleKind.PersonalData:
                    var types = new List<PersonalDataType>();
                    foreach (var t in f.ContainsKey("types") ? NonEmptyList(f, "types", path, node) : [.. DataTypes.Keys])
                    {
                        if (DataTypes.TryGetValue(t, out var dt))
                        {
                            types.Add(dt);
                        }
                        else
                        {
                            Error(path + ".types", f["types"], $"unknown personal data type '{t}'; expected {string.Join(", ", DataTypes.Keys)}");
                        }
                    }

                    rule = rule with { Types = types };
                    break;
                case RuleKind.Links:
                    var domains = f.ContainsKey("allowed_domains") ? NonEmptyList(f, "allowed_domains", path, node) : [];
                    foreach (var d in domains.Where(d => LinkScanner.Normalize(d) is null || d.Contains('/', StringComparison.Ordinal)))
                    {
                        Error(path + ".allowed_domains", f["allowed_domains"], $"'{d}' is not a domain name");
                    }

                    rule = rule with { AllowedDomains = domains };
                    break;
                case RuleKind.Tone:
                    if (f.TryGetValue("max_caps_ratio", out var cNode))
                    {
                        var s = Scalar(cNode, path + ".max_caps_ratio");
                        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var ratio) && ratio is > 0 and <= 1)
                        {
                            rule = rule with { MaxCapsRatio = ratio };
                        }
                        else
                        {
                            Error(path + ".max_caps_ratio", cNode, "max_caps_ratio must be a number in (0, 1]");
                        }
                    }

                    if (f.TryGetValue("min_letters", out var lNode) && Number(lNode, path + ".min_letters", 1, 10_000) is { } ml)
                    {
                        rule = rule with { MinLetters = ml };
                    }

                    if (f.TryGetValue("max_exclamations", out var eNode) && Number(eNode, path + ".max_exclamations", 1, 100) is { } me)
                    {
                        rule = rule with { MaxExclamations = me };
                    }

                    break;
            }

            return rule;
        }

        private RuleExample? Example(YamlNode node, string path, List<ComplianceRule> rules)
        {
            var f = Fields(node, path, ["text", "expect", "rule"]);
            if (f is null)
            {
                return null;
            }

            var text = f.TryGetValue("text", out var tNode) ? Scalar(tNode, path + ".text") : null;
            if (text is null)
            {
                Error(path + ".text", node, "an example needs a text");
                return null;
            }

            var expectName = Text(f, "expect", path, node);
            ExpectedOutcome? expect = expectName switch
            {
                "pass" => ExpectedOutcome.Pass,
                "review" => ExpectedOutcome.Review,
                "block" => ExpectedOutcome.Block,
                null => null,
                _ => null,
            };
            if (expectName is not null && expect is null)
            {
                Error(path + ".expect", f["expect"], $"expect must be pass, review or block, not '{expectName}'");
            }

            string? rule = null;
            if (f.TryGetValue("rule", out var rNode))
            {
                rule = Scalar(rNode, path + ".rule");
                if (rule is not null && rules.All(r => r.Id != rule))
                {
                    Error(path + ".rule", rNode, $"no rule with id '{rule}'");
                }
            }

            return expect is null ? null : new RuleExample(text, expect.Value, rule);
        }

        private Dictionary<string, YamlNode>? Fields(YamlNode node, string path, string[] allowed)
        {
            if (node is not YamlMappingNode map)
            {
                Error(path, node, "expected a mapping");
                return null;
            }

            var result = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            foreach (var (k, v) in map.Children)
            {
                var key = (k as YamlScalarNode)?.Value ?? "";
                if (!allowed.Contains(key))
                {
                    Error($"{path}.{key}", k, $"unknown field '{key}'; expected one of {string.Join(", ", allowed)}");
                    continue;
                }

                result[key] = v;
            }

            return result;
        }

        private List<YamlNode>? Sequence(YamlNode node, string path)
        {
            if (node is YamlSequenceNode seq)
            {
                return [.. seq.Children];
            }

            Error(path, node, "expected a list");
            return null;
        }

        private string? Scalar(YamlNode node, string path)
        {
            if (node is YamlScalarNode s)
            {
                return s.Value ?? "";
            }

            Error(path, node, "expected a text value");
            return null;
        }

        private string? Text(Dictionary<string, YamlNode> f, string key, string path, YamlNode parent)
        {
            if (!f.TryGetValue(key, out var node))
            {
                Error($"{path}.{key}", parent, $"'{key}' is required");
                return null;
            }

            var s = Scalar(node, $"{path}.{key}");
            if (s is { Length: 0 })
            {
                Error($"{path}.{key}", node, $"'{key}' must not be empty");
                return null;
            }

            return s;
        }

        /// <summary>Phrases to find: non-empty, and a <c>*</c> only at the end, after a letter or digit (a prefix).</summary>
        private List<string> Phrases(Dictionary<string, YamlNode> f, string key, string path, YamlNode parent)
        {
            var list = NonEmptyList(f, key, path, parent);
            var items = f.TryGetValue(key, out var node) && node is YamlSequenceNode seq ? seq.Children : null;
            for (var i = 0; i < list.Count; i++)
            {
                var star = list[i].IndexOf('*', StringComparison.Ordinal);
                if (star >= 0 && (star != list[i].Length - 1 || star == 0 || !char.IsLetterOrDigit(list[i][star - 1])))
                {
                    Error($"{path}.{key}[{i}]", items is not null && i < items.Count ? items[i] : parent,
                        $"'{list[i]}': * may only end a phrase, right after a letter or digit (guarantee* finds guarantees and guaranteed)");
                }
            }

            return list;
        }

        private List<string> NonEmptyList(Dictionary<string, YamlNode> f, string key, string path, YamlNode parent)
        {
            if (!f.TryGetValue(key, out var node))
            {
                Error($"{path}.{key}", parent, $"'{key}' is required");
                return [];
            }

            var items = Sequence(node, $"{path}.{key}");
            var list = new List<string>();
            for (var i = 0; items is not null && i < items.Count; i++)
            {
                if (Scalar(items[i], $"{path}.{key}[{i}]") is { Length: > 0 } s)
                {
                    list.Add(s);
                }
                else
                {
                    Error($"{path}.{key}[{i}]", items[i], "entries must be non-empty text");
                }
            }

            if (items is { Count: 0 })
            {
                Error($"{path}.{key}", node, $"'{key}' must list at least one entry");
            }

            return list;
        }

        private int? Number(YamlNode node, string path, int min, int max)
        {
            var s = Scalar(node, path);
            if (int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max)
            {
                return n;
            }

            Error(path, node, $"expected a whole number from {min} to {max}");
            return null;
        }
    }
}
