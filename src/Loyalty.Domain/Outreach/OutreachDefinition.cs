using System.Globalization;

namespace Loyalty.Domain.Outreach;

/// <summary>The outreach part of a program definition: message templates per campaign and locale, and the opt-out
/// hint per locale. In JSON:
/// <code>
/// "outreach": {
///   "templates": { "birthday": { "en": "Happy birthday, {firstName}! …", "zh-CN": "…", "ru": "…" }, … },
///   "optOut": { "en": "Reply STOP to opt out", … }
/// }
/// </code>
/// A campaign the definition does not list uses <see cref="DefaultTemplates"/>; a campaign it lists is taken as
/// written and needs an <c>en</c> template. Opt-out hints add to and override the defaults per locale.
/// Check with <see cref="Validate"/> at start-up; then <see cref="Render"/> does not fail on a template.</summary>
public sealed record OutreachDefinition
{
    private const string Path = "outreach";

    /// <summary>Campaign name (<see cref="CampaignNames"/>) → locale (BCP 47) → template.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Templates { get; set; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>();

    /// <summary>Locale → opt-out hint, over <see cref="DefaultTemplates.OptOut"/>.</summary>
    public IReadOnlyDictionary<string, string> OptOut { get; set; } = new Dictionary<string, string>();

    /// <summary>The hours of the member's own day when messages may go out. Default 10:00–20:00.</summary>
    public SendingWindow SendingWindow { get; set; } = new();

    /// <summary>Marketing messages a member gets in any 7 days at most (never more than one a day). Default 3.</summary>
    public int MaxPerWeek { get; set; } = 3;

    /// <summary>How many days ahead of an expiry the warning goes out. Default 30.</summary>
    public int ExpiryWarningDays { get; set; } = 30;

    /// <summary>Dormancy thresholds for win-back messages.</summary>
    public WinBackRules WinBack { get; set; } = new();

    /// <summary>Whether a consent given through the API waits for the member's YES, and for how long. On unless the
    /// program turns it off.</summary>
    public DoubleOptInRules DoubleOptIn { get; set; } = new();

    /// <summary>How to reach the program, per locale, for HELP answers (e.g. <c>"Questions: +1 425 555 0100."</c>).</summary>
    public IReadOnlyDictionary<string, string> Contact { get; set; } = new Dictionary<string, string>();

    /// <summary>Whether a STOP and a START are confirmed by a reply (only ever where the sender can take replies). Default on.</summary>
    public bool Confirmations { get; set; } = true;

    /// <summary>Balance answers a member's number gets in a day at most. Default 3.</summary>
    public int BalanceRepliesPerDay { get; set; } = 3;

    /// <summary>Which transactional messages the program sends (both off unless turned on).</summary>
    public TransactionalRules Transactional { get; set; } = new();

    /// <summary>How the program asks for SMS consent.</summary>
    public Operations.ConsentPolicy ConsentPolicy => new(DoubleOptIn.Enabled, TimeSpan.FromHours(DoubleOptIn.ExpiresAfterHours));

    /// <summary>The contact line in <paramref name="locale"/>'s best language; null when the program names none.</summary>
    public string? ContactIn(string? locale) => Contact.Count == 0 ? null : Program.Localized.Pick(Contact, locale ?? Locales.Fallback);

    /// <summary>The templates in force for <paramref name="campaign"/>, locale → text.</summary>
    public IReadOnlyDictionary<string, string> TemplatesFor(Campaign campaign) =>
        Templates.TryGetValue(campaign.Name(), out var own) ? own : DefaultTemplates.Templates[campaign.Name()];

    /// <summary>The opt-out hints in force, locale → text.</summary>
    public IReadOnlyDictionary<string, string> OptOutHints()
    {
        var hints = new Dictionary<string, string>(DefaultTemplates.OptOut, StringComparer.OrdinalIgnoreCase);
        foreach (var (locale, hint) in OptOut)
        {
            hints[locale] = hint;
        }

        return hints;
    }

    /// <summary>Every problem with the templates, each naming its place, campaign, locale and placeholder (empty
    /// when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (SendingWindow.From >= SendingWindow.To)
        {
            errors.Add($"{Path}.sendingWindow: 'from' must be before 'to'");
        }

        if (MaxPerWeek is < 1 or > 7)
        {
            errors.Add($"{Path}.maxPerWeek: must be between 1 and 7");
        }

        if (ExpiryWarningDays is < 1 or > 180)
        {
            errors.Add($"{Path}.expiryWarningDays: must be between 1 and 180");
        }

        if (!(WinBack.AtRiskDays > 0 && WinBack.AtRiskDays < WinBack.LapsedDays && WinBack.LapsedDays < WinBack.GiveUpDays && WinBack.GiveUpDays <= 3650))
        {
            errors.Add($"{Path}.winBack: need 0 < atRiskDays < lapsedDays < giveUpDays <= 3650");
        }

        if (DoubleOptIn.ExpiresAfterHours is < 1 or > 720)
        {
            errors.Add($"{Path}.doubleOptIn.expiresAfterHours: must be between 1 and 720");
        }

        if (BalanceRepliesPerDay is < 0 or > 20)
        {
            errors.Add($"{Path}.balanceRepliesPerDay: must be between 0 and 20");
        }

        foreach (var (locale, contact) in Contact)
        {
            if (!Locales.TryGetCulture(locale, out _) || string.IsNullOrWhiteSpace(contact) || contact.Length > 160)
            {
                errors.Add($"{Path}.contact.{locale}: needs a known locale (en, zh-CN, ru) and a text of 1 to 160 characters");
            }
        }

        foreach (var name in Templates.Keys)
        {
            if (!CampaignNames.TryParse(name, out _))
            {
                errors.Add($"{Path}.templates.{name}: unknown campaign (known: {string.Join(", ", CampaignNames.All.Select(c => c.Name()))})");
            }
        }

        var hints = OptOutHints();
        foreach (var (locale, hint) in OptOut)
        {
            if (!Locales.TryGetCulture(locale, out _))
            {
                errors.Add($"{Path}.optOut.{locale}: not a known locale (BCP 47, e.g. en, zh-CN, ru)");
            }

            if (string.IsNullOrWhiteSpace(hint))
            {
                errors.Add($"{Path}.optOut.{locale}: the hint is empty");
            }
        }

        foreach (var campaign in CampaignNames.All)
        {
            if (!Templates.TryGetValue(campaign.Name(), out var templates))
            {
                continue;
            }

            var where = $"{Path}.templates.{campaign.Name()}";
            if (!templates.Keys.Any(l => string.Equals(l, Locales.Fallback, StringComparison.OrdinalIgnoreCase)))
            {
                errors.Add($"{where}: no \"{Locales.Fallback}\" template (it is the fallback for every other language)");
            }

            foreach (var (locale, text) in templates)
            {
                if (!Locales.TryGetCulture(locale, out _))
                {
                    errors.Add($"{where}.{locale}: not a known locale (BCP 47, e.g. en, zh-CN, ru)");
                    continue;
                }

                var problems = Problems(campaign, locale, text ?? "", hints);
                errors.AddRange(problems.Select(p => $"{where}.{locale}: {p}"));
            }
        }

        return errors;
    }

    /// <summary>The message for a member whose language is <paramref name="locale"/>, in the best locale the
    /// campaign has (see <see cref="Locales.Resolve"/>), with values formatted for that locale.</summary>
    /// <exception cref="InvalidOperationException">The template is invalid (<see cref="Validate"/> would have said so).</exception>
    /// <exception cref="ArgumentException">The template needs a value <paramref name="values"/> lacks.</exception>
    public RenderedMessage Render(Campaign campaign, string? locale, TemplateValues values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var templates = TemplatesFor(campaign);
        var chosen = Locales.Resolve(locale, templates.Keys);
        if (!templates.TryGetValue(chosen, out var text))
        {
            throw new InvalidOperationException($"{Path}.templates.{campaign.Name()}: no template for \"{chosen}\"");
        }

        var hints = OptOutHints();
        var problems = Problems(campaign, chosen, text, hints);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException($"{Path}.templates.{campaign.Name()}.{chosen}: {string.Join("; ", problems)}");
        }

        var template = MessageTemplate.Parse(text, out _)!;
        var culture = CultureInfo.GetCultureInfo(chosen);
        var optOut = hints[Locales.Resolve(chosen, hints.Keys)];
        var rendered = template.Render(p => values.Format(p, culture, optOut)).Trim();
        return new RenderedMessage(campaign, chosen, rendered, SmsSegments.Count(rendered));
    }

    /// <summary>Each template in force with its size on a sample message of realistic length (a long first name,
    /// five-digit balances, the longest month name), warning when it needs more than
    /// <paramref name="maxSegments"/> segments: segments are what ACS bills.</summary>
    public IReadOnlyList<TemplateReport> Report(string programName, int maxSegments = 2)
    {
        var reports = new List<TemplateReport>();
        foreach (var campaign in CampaignNames.All)
        {
            foreach (var (locale, text) in TemplatesFor(campaign))
            {
                if (!Locales.TryGetCulture(locale, out _) || Problems(campaign, locale, text ?? "", OptOutHints()).Count > 0)
                {
                    continue;
                }

                var sample = Render(campaign, locale, Sample(locale, programName));
                var withAccent = Render(campaign, locale, Sample(locale, programName) with { FirstName = "Zoë" });
                var warnings = new List<string>();
                var where = $"{Path}.templates.{campaign.Name()}.{locale}";
                if (sample.Segments.Segments > maxSegments)
                {
                    warnings.Add($"{where}: {sample.Segments.Segments} SMS segments ({(sample.Segments.Encoding == SmsEncoding.Gsm7 ? "GSM-7" : "UCS-2")}, {sample.Segments.Units} units) " +
                        $"on a sample message, more than {maxSegments}; ACS bills each segment");
                }

                if (campaign.Kind() == CampaignKind.Marketing && !MessageTemplate.Parse(text!, out _)!.PlaceholdersUsed.Contains(Placeholders.OptOut))
                {
                    warnings.Add($"{where}: no {{{Placeholders.OptOut}}}; marketing messages should say how to opt out");
                }

                reports.Add(new TemplateReport(campaign, locale, sample.Segments, withAccent.Segments.Segments, sample.Text, warnings));
            }
        }

        return reports;
    }

    private TemplateValues Sample(string locale, string programName) => new()
    {
        ProgramName = programName,
        FirstName = SampleNames[Locales.Resolve(locale, SampleNames.Keys)],
        Points = new Points(12_345),
        ExpiringPoints = new Points(2_500),
        ExpiryDate = new DateOnly(2026, 9, 30),
        Contact = ContactIn(locale),
        Tier = SampleTiers[Locales.Resolve(locale, SampleTiers.Keys)],
        NextExpiry = (new Points(2_500), new DateOnly(2026, 9, 30)),
        EarnedPoints = new Points(1_250),
        Reward = SampleRewards[Locales.Resolve(locale, SampleRewards.Keys)],
    };

    private static readonly Dictionary<string, string> SampleNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["en"] = "Alexandra",
        ["zh-CN"] = "欧阳娜娜",
        ["ru"] = "Александра",
    };

    private static readonly Dictionary<string, string> SampleTiers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["en"] = "Platinum",
        ["zh-CN"] = "白金卡",
        ["ru"] = "Платина",
    };

    private static readonly Dictionary<string, string> SampleRewards = new(StringComparer.OrdinalIgnoreCase)
    {
        ["en"] = "Free pastry of your choice",
        ["zh-CN"] = "任选免费糕点一份",
        ["ru"] = "Бесплатная выпечка на выбор",
    };

    private static List<string> Problems(Campaign campaign, string locale, string text, IReadOnlyDictionary<string, string> hints)
    {
        var template = MessageTemplate.Parse(text, out var errors);
        var problems = errors.ToList();
        if (template is null)
        {
            return problems;
        }

        var allowed = campaign.PlaceholdersOf();
        foreach (var used in template.PlaceholdersUsed.Where(p => !allowed.Contains(p)))
        {
            problems.Add($"placeholder {{{used}}} is not available in the {campaign.Name()} campaign " +
                $"(available: {string.Join(", ", allowed.Select(p => "{" + p + "}"))})");
        }

        if (template.PlaceholdersUsed.Contains(Placeholders.OptOut) && !Locales.SameLanguage(locale, Locales.Resolve(locale, hints.Keys)))
        {
            problems.Add($"uses {{{Placeholders.OptOut}}} but {Path}.optOut has no hint in its language (add \"{locale}\")");
        }

        if (text.Length > RenderedMessage.MaxLength)
        {
            problems.Add($"longer than the {RenderedMessage.MaxLength} characters ACS accepts");
        }

        return problems;
    }
}

/// <summary>A message ready to send: its text, the locale it was written in, and its size in SMS segments.</summary>
public sealed record RenderedMessage(Campaign Campaign, string Locale, string Text, SmsSegmentCount Segments)
{
    /// <summary>The longest message ACS accepts.</summary>
    public const int MaxLength = 2048;
}

/// <summary>The size of one template on a sample message. <see cref="SegmentsWithNonGsmName"/> is its size when
/// the first name has a character outside GSM-7 ("Zoë"), which turns a whole GSM-7 message into UCS-2.</summary>
public sealed record TemplateReport(
    Campaign Campaign,
    string Locale,
    SmsSegmentCount Size,
    int SegmentsWithNonGsmName,
    string Sample,
    IReadOnlyList<string> Warnings);

/// <summary>Double opt-in: <c>"doubleOptIn": { "enabled": true, "expiresAfterHours": 48 }</c>.</summary>
public sealed record DoubleOptInRules
{
    public bool Enabled { get; set; } = true;

    /// <summary>How long a confirmation request waits for YES before it expires. Default 48 hours.</summary>
    public int ExpiresAfterHours { get; set; } = 48;
}

/// <summary>Transactional messages: <c>"transactional": { "thankYou": true, "voucherIssued": true }</c>.</summary>
public sealed record TransactionalRules
{
    /// <summary>A thank-you after each purchase, with the points earned and the balance.</summary>
    public bool ThankYou { get; set; }

    /// <summary>A notice when a voucher is issued to the member.</summary>
    public bool VoucherIssued { get; set; }
}

/// <summary>Local hours when messages may be sent: from <see cref="From"/> (inclusive) to <see cref="To"/> (exclusive).</summary>
public sealed record SendingWindow
{
    public TimeOnly From { get; set; } = new(10, 0);

    public TimeOnly To { get; set; } = new(20, 0);
}

/// <summary>Days since the last purchase that make a member dormant: <c>winback-at-risk</c> from
/// <see cref="AtRiskDays"/>, <c>winback-lapsed</c> from <see cref="LapsedDays"/>, nobody after <see cref="GiveUpDays"/>.</summary>
public sealed record WinBackRules
{
    public int AtRiskDays { get; set; } = 90;

    public int LapsedDays { get; set; } = 180;

    public int GiveUpDays { get; set; } = 360;
}
