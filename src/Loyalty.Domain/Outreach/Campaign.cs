using System.Diagnostics.CodeAnalysis;

namespace Loyalty.Domain.Outreach;

/// <summary>Why a member gets a message. Each campaign has its own templates and the placeholders it may use.</summary>
public enum Campaign
{
    Birthday,
    ExpiryWarning,
    WinbackAtRisk,
    WinbackLapsed,

    /// <summary>The answer to HELP or INFO.</summary>
    Help,

    /// <summary>The answer to BAL, BALANCE or POINTS.</summary>
    Balance,

    /// <summary>The confirmation of a STOP.</summary>
    StopConfirmation,

    /// <summary>The confirmation of a START (or a YES that confirmed a pending request).</summary>
    StartConfirmation,

    /// <summary>The double opt-in request: reply YES to get marketing messages.</summary>
    OptInRequest,

    /// <summary>Thanks for a purchase, with the points earned and the balance.</summary>
    ThankYou,

    /// <summary>A voucher was issued to the member.</summary>
    VoucherIssued,

    /// <summary>The answer to HELP or INFO from a number no member has: like <see cref="Help"/>, without what only a
    /// member can do (text BAL for a balance).</summary>
    StrangerHelp,
}

/// <summary>What rules a campaign's messages follow.</summary>
public enum CampaignKind
{
    /// <summary>Needs marketing consent, keeps the sending window, one a day and the weekly cap.</summary>
    Marketing,

    /// <summary>Answers the member's own message (or their request for consent): at once, without consent or caps.</summary>
    Reply,

    /// <summary>Needs transactional consent, keeps the sending window, not counted against the marketing caps.</summary>
    Transactional,
}

/// <summary>The names campaigns have in the program definition and in outbox keys (<c>birthday</c>,
/// <c>expiry-warning</c>, <c>winback-at-risk</c>, <c>winback-lapsed</c>).</summary>
public static class CampaignNames
{
    public static IReadOnlyList<Campaign> All { get; } = Enum.GetValues<Campaign>();

    public static string Name(this Campaign campaign) => campaign switch
    {
        Campaign.Birthday => "birthday",
        Campaign.ExpiryWarning => "expiry-warning",
        Campaign.WinbackAtRisk => "winback-at-risk",
        Campaign.WinbackLapsed => "winback-lapsed",
        Campaign.Help => "help",
        Campaign.Balance => "balance",
        Campaign.StopConfirmation => "stop-confirmation",
        Campaign.StartConfirmation => "start-confirmation",
        Campaign.OptInRequest => "opt-in-request",
        Campaign.ThankYou => "thank-you",
        Campaign.VoucherIssued => "voucher-issued",
        Campaign.StrangerHelp => "help-stranger",
        _ => throw new ArgumentOutOfRangeException(nameof(campaign), campaign, null),
    };

    public static CampaignKind Kind(this Campaign campaign) => campaign switch
    {
        Campaign.Birthday or Campaign.ExpiryWarning or Campaign.WinbackAtRisk or Campaign.WinbackLapsed => CampaignKind.Marketing,
        Campaign.ThankYou or Campaign.VoucherIssued => CampaignKind.Transactional,
        _ => CampaignKind.Reply,
    };

    public static bool TryParse([NotNullWhen(true)] string? name, out Campaign campaign)
    {
        foreach (var c in All)
        {
            if (string.Equals(c.Name(), name, StringComparison.Ordinal))
            {
                campaign = c;
                return true;
            }
        }

        campaign = default;
        return false;
    }

    /// <summary>The placeholders a template of <paramref name="campaign"/> may use: the values its sender has.</summary>
    public static IReadOnlySet<string> PlaceholdersOf(this Campaign campaign) => campaign switch
    {
        Campaign.ExpiryWarning => Placeholders.WithExpiry,
        Campaign.Help or Campaign.StrangerHelp => Placeholders.Of(Placeholders.ProgramName, Placeholders.Contact, Placeholders.OptOut),
        Campaign.Balance => Placeholders.Of(Placeholders.FirstName, Placeholders.ProgramName, Placeholders.Points, Placeholders.Tier, Placeholders.NextExpiry),
        Campaign.StopConfirmation or Campaign.OptInRequest => Placeholders.Of(Placeholders.ProgramName, Placeholders.Contact),
        Campaign.StartConfirmation => Placeholders.Of(Placeholders.ProgramName, Placeholders.Contact, Placeholders.OptOut),
        Campaign.ThankYou => Placeholders.Of(Placeholders.FirstName, Placeholders.ProgramName, Placeholders.EarnedPoints, Placeholders.Points, Placeholders.OptOut),
        Campaign.VoucherIssued => Placeholders.Of(Placeholders.FirstName, Placeholders.ProgramName, Placeholders.Reward, Placeholders.OptOut),
        _ => Placeholders.Common,
    };
}
