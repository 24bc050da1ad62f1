using System.Text.Json;
using System.Text.Json.Nodes;

namespace Loyalty.Tests.Model;

/// <summary>The program rules as the reference model reads them from the same fixture file the app loads: only what
/// the ledger specification uses, read with the model's own code (never the domain's).</summary>
public sealed record ModelProgram(
    string File,
    IReadOnlyDictionary<string, decimal> PointsPerUnit,
    int ExpireAfterMonths,
    bool AllowNegativeBalance,
    int TierWindowMonths,
    int TierGraceMonths,
    IReadOnlyList<ModelTier> Tiers,
    long FirstPurchaseBonus,
    IReadOnlyDictionary<string, decimal> BigOrderThresholds,
    long BigOrderBonus,
    IReadOnlyList<ModelPromotion> Promotions,
    IReadOnlyList<ModelThreshold> Thresholds,
    long ReferralBonus,
    IReadOnlyList<ModelReward> Rewards,
    bool ReverseBonuses,
    int PendingDays,
    IReadOnlyDictionary<string, decimal> PointsToPay,
    bool DoubleOptIn,
    TimeSpan OptInWaits)
{
    public static ModelProgram Load(string fileName)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", fileName);
        var root = JsonNode.Parse(System.IO.File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!;
        var tiers = root["tiers"]!;
        var bonuses = root["bonuses"]!;
        return new ModelProgram(
            path,
            root["currencies"]!.AsObject().ToDictionary(c => c.Key, c => c.Value!["pointsPerUnit"]!.GetValue<decimal>()),
            root["points"]!["expireAfterMonths"]!.GetValue<int>(),
            root["points"]!["allowNegativeBalance"]!.GetValue<bool>(),
            tiers["windowMonths"]!.GetValue<int>(),
            tiers["graceMonths"]!.GetValue<int>(),
            [.. tiers["levels"]!.AsArray().Select(l => new ModelTier(l!["id"]!.GetValue<string>(), l["threshold"]!.GetValue<decimal>(), l["multiplier"]!.GetValue<decimal>()))],
            bonuses["firstPurchase"]!["points"]!.GetValue<long>(),
            bonuses["bigOrder"]!["thresholds"]!.AsObject().ToDictionary(t => t.Key, t => t.Value!.GetValue<decimal>()),
            bonuses["bigOrder"]!["points"]!.GetValue<long>(),
            [.. bonuses["promotions"]!.AsArray().Select(p => new ModelPromotion(
                p!["id"]!.GetValue<string>(),
                DateOnly.Parse(p["from"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture),
                DateOnly.Parse(p["to"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture),
                p["multiplier"]?.GetValue<decimal>(),
                p["points"]?.GetValue<long>(),
                Strings(p["stores"]),
                Strings(p["categories"])))],
            [.. bonuses["spendThresholds"]!.AsArray().Select(s => new ModelThreshold(
                s!["id"]!.GetValue<string>(), s["spend"]!.GetValue<decimal>(), s["withinMonths"]!.GetValue<int>(), s["points"]?.GetValue<long>(), s["rewardId"]?.GetValue<string>()))],
            bonuses["referral"]!["points"]!.GetValue<long>(),
            [.. root["rewards"]!.AsArray().Select(r => new ModelReward(
                r!["id"]!.GetValue<string>(), r["pointsCost"]!.GetValue<long>(), r["minTier"]?.GetValue<string>(), r["stock"]?.GetValue<int>(),
                r["kind"]?.GetValue<string>() == "voucher", r["validDays"]?.GetValue<int>() ?? 90))],
            root["returns"]!["reverseBonuses"]!.GetValue<bool>(),
            root["points"]!["pendingDays"]?.GetValue<int>() ?? 0,
            root["currencies"]!.AsObject().Where(c => c.Value!["pointsToPay"] is not null).ToDictionary(c => c.Key, c => c.Value!["pointsToPay"]!.GetValue<decimal>()),
            // README, SMS consent: double opt-in is on unless the program turns it off; a request waits 48 hours unless it says.
            root["outreach"]?["doubleOptIn"]?["enabled"]?.GetValue<bool>() ?? true,
            TimeSpan.FromHours(root["outreach"]?["doubleOptIn"]?["expiresAfterHours"]?.GetValue<int>() ?? 48));
    }

    public ModelReward Reward(string id) => Rewards.Single(r => r.Id == id);

    public int TierIndex(string? id) => id is null ? -1 : Tiers.ToList().FindIndex(t => t.Id == id);

    /// <summary>The highest tier a measure reaches.</summary>
    public int QualifiedTier(decimal measure) => Tiers.ToList().FindLastIndex(t => measure >= t.Threshold);

    public DateOnly LotDay(DateTimeOffset t) => DateOnly.FromDateTime(t.UtcDateTime).AddMonths(ExpireAfterMonths);

    private static List<string> Strings(JsonNode? node) => node is JsonArray a ? [.. a.Select(s => s!.GetValue<string>())] : [];
}

public sealed record ModelTier(string Id, decimal Threshold, decimal Multiplier);

public sealed record ModelPromotion(string Id, DateOnly From, DateOnly To, decimal? Multiplier, long? Points, IReadOnlyList<string> Stores, IReadOnlyList<string> Categories);

public sealed record ModelThreshold(string Id, decimal Spend, int WithinMonths, long? Points, string? RewardId);

/// <param name="IsVoucher">A reward of kind voucher: its redemption gives a code valid <paramref name="ValidDays"/> days.</param>
public sealed record ModelReward(string Id, long Cost, string? MinTier, int? Stock, bool IsVoucher = false, int ValidDays = 90);
