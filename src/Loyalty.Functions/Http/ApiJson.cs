using System.Text.Json;
using System.Text.Json.Serialization;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Program;
using Loyalty.Functions.Adjustments;
using Loyalty.Functions.Holds;
using Loyalty.Functions.Invocations;
using Loyalty.Functions.Members;
using Loyalty.Functions.Outreach;
using Loyalty.Functions.Privacy;
using Loyalty.Functions.Purchases;
using Loyalty.Functions.Returns;
using Loyalty.Functions.Rewards;
using Loyalty.Functions.Standalone;
using Loyalty.Functions.Vouchers;

namespace Loyalty.Functions.Http;

/// <summary>Every type the handler reads or writes as JSON outside the store: request bodies, responses, the figures of
/// refusals, the program file, trigger payloads and queue messages. The serializer's code for them is generated at build
/// time, so the handler runs under Native AOT (eng/package.sh), where nothing is serialized by reflection. Every options
/// object of the handler resolves through this context or the store's (<c>StorageJson</c>) alone, so a type missing
/// here fails its tests in any build.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, NumberHandling = JsonNumberHandling.Strict)]
// Request bodies and messages.
[JsonSerializable(typeof(AdjustmentRequest))]
[JsonSerializable(typeof(AdminInvocationRequest))]
[JsonSerializable(typeof(CaptureRequest))]
[JsonSerializable(typeof(HoldRequest))]
[JsonSerializable(typeof(MemberRequest))]
[JsonSerializable(typeof(PurchaseRequest))]
[JsonSerializable(typeof(RedemptionRequest))]
[JsonSerializable(typeof(ReturnRequest))]
[JsonSerializable(typeof(VoucherUseRequest))]
[JsonSerializable(typeof(OutreachJob))]
[JsonSerializable(typeof(TimerInfo))]
[JsonSerializable(typeof(InvocationResult))]
[JsonSerializable(typeof(ProgramDefinition))]
// Responses.
[JsonSerializable(typeof(AdjustmentResult))]
[JsonSerializable(typeof(CancellationResult))]
[JsonSerializable(typeof(HoldResult))]
[JsonSerializable(typeof(LedgerPage))]
[JsonSerializable(typeof(MemberExport))]
[JsonSerializable(typeof(MemberResponse))]
[JsonSerializable(typeof(PurchaseResult))]
[JsonSerializable(typeof(QuoteResult))]
[JsonSerializable(typeof(RedemptionResult))]
[JsonSerializable(typeof(RedemptionView))]
[JsonSerializable(typeof(IReadOnlyList<RedemptionView>))]
[JsonSerializable(typeof(IReadOnlyList<OutreachMessage>))]
[JsonSerializable(typeof(IReadOnlyList<RewardResponse>))]
[JsonSerializable(typeof(IReadOnlyList<VoucherResponse>))]
[JsonSerializable(typeof(ReturnResult))]
[JsonSerializable(typeof(VoucherResponse))]
[JsonSerializable(typeof(VoucherUseResult))]
[JsonSerializable(typeof(HealthResponse))]
// The values a refusal's figures and a trigger's outputs hold.
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(decimal))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(DateTimeOffset))]
[JsonSerializable(typeof(DateOnly))]
// The values of a table row in the export.
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(Guid))]
[JsonSerializable(typeof(byte[]))]
[JsonSerializable(typeof(DateTime))]
internal sealed partial class ApiJson : JsonSerializerContext;

/// <summary>The body of <c>GET /api/health</c>.</summary>
internal sealed record HealthResponse(string Status);
