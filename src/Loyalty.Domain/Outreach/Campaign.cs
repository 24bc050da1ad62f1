using System.Diagnostics.CodeAnalysis;

namespace Loyalty.Domain.Outreach;

/// <summary>Why a member gets a message. Each campaign has its own templates and the placeholders it may use.</summary>
public enum Campaign
{
    Birthday,
    ExpiryWarning,
    WinbackAtRisk,
    WinbackLapsed,
}

/// <summary>The names campaigns have in the program definition and in outbox keys (<c>birthday</c>,
/// <c>expiry-warning</c>, <c>winback-at-risk</c>, <c>winback-lapsed</c>).</summary>
public static class CampaignNames
{
    public static IReadOnlyList<Campaign> All { get; } = [Campaign.Birthday, Campaign.ExpiryWarning, Campaign.WinbackAtRisk, Campaign.WinbackLapsed];

    public static string Name(this Campaign campaign) => campaign switch
    {
        Campaign.Birthday => "birthday",
        Campaign.ExpiryWarning => "expiry-warning",
        Campaign.WinbackAtRisk => "winback-at-risk",
        Campaign.WinbackLapsed => "winback-lapsed",
        _ => throw new ArgumentOutOfRangeException(nameof(campaign), campaign, null),
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
    public static IReadOnlySet<string> PlaceholdersOf(this Campaign campaign) =>
        campaign == Campaign.ExpiryWarning ? Placeholders.WithExpiry : Placeholders.Common;
}
