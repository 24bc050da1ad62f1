using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Loyalty.Domain.Events;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Operations;

namespace Loyalty.Adapters.Json;

/// <summary>Every type the store writes as JSON into a row: the account's lists in the member row, each operation's
/// result and record, each event's data. The serializer's code for them is generated at build time, so the handler
/// runs under Native AOT, where nothing is serialized by reflection; a type missing here fails at its first use, in
/// every build (the options below resolve nothing else).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ImmutableList<Grant>))]
[JsonSerializable(typeof(ImmutableList<Voucher>))]
[JsonSerializable(typeof(ImmutableList<Hold>))]
[JsonSerializable(typeof(ImmutableList<PendingPoints>))]
[JsonSerializable(typeof(AdjustmentResult))]
[JsonSerializable(typeof(CancellationResult))]
[JsonSerializable(typeof(ExpiryResult))]
[JsonSerializable(typeof(HoldResult))]
[JsonSerializable(typeof(ImportResult))]
[JsonSerializable(typeof(PurchaseResult))]
[JsonSerializable(typeof(RedemptionResult))]
[JsonSerializable(typeof(ReturnResult))]
[JsonSerializable(typeof(VoucherUseResult))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(PurchaseRecord))]
[JsonSerializable(typeof(HoldRecord))]
[JsonSerializable(typeof(RedemptionRecord))]
[JsonSerializable(typeof(PointsEarned))]
[JsonSerializable(typeof(PointsReturned))]
[JsonSerializable(typeof(PointsAdjusted))]
[JsonSerializable(typeof(PointsExpired))]
[JsonSerializable(typeof(RewardRedeemed))]
[JsonSerializable(typeof(RedemptionCancelled))]
[JsonSerializable(typeof(TierChanged))]
[JsonSerializable(typeof(VoucherIssued))]
[JsonSerializable(typeof(VoucherChanged))]
[JsonSerializable(typeof(PointsHeld))]
[JsonSerializable(typeof(PointsCaptured))]
[JsonSerializable(typeof(HoldReleased))]
[JsonSerializable(typeof(MemberEnrolled))]
[JsonSerializable(typeof(MemberUpdated))]
[JsonSerializable(typeof(MemberDataErased))]
[JsonSerializable(typeof(ConsentChanged))]
public sealed partial class StorageJson : JsonSerializerContext
{
    /// <summary>Operation results and records, and event data: the web defaults (camelCase names, enums as numbers).</summary>
    public static JsonSerializerOptions Web => Default.Options;

    /// <summary>The account's lists in the member row: the web defaults with enums by their camelCase names.</summary>
    public static JsonSerializerOptions Rows => RowOptions.Value;

    // Not a static field initializer: those of this class run before the generated part's Default is set.
    private static class RowOptions
    {
        public static readonly JsonSerializerOptions Value = new(JsonSerializerDefaults.Web)
        {
            TypeInfoResolver = Default,
            Converters = { new JsonStringEnumConverter<VoucherStatus>(JsonNamingPolicy.CamelCase) },
        };
    }
}

/// <summary>The generated serializer code of a type, looked up by its type.</summary>
public static class JsonTypeInfos
{
    /// <summary>The metadata <paramref name="options"/> resolves for <typeparamref name="T"/>; throws
    /// <see cref="NotSupportedException"/> for a type its context does not list.</summary>
    public static JsonTypeInfo<T> For<T>(this JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
}
