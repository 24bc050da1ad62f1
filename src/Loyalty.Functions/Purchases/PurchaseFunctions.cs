using Loyalty.Adapters.Storage;
using Loyalty.Functions.Http;
using Loyalty.Functions.Invocations;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Functions.Purchases;

/// <summary>Purchases that order systems put on a queue: <c>RecordPurchaseFromQueue</c> (Storage queue, local runs) and
/// <c>RecordPurchaseFromServiceBus</c> (Service Bus, Azure). Each message is validated and recorded exactly as
/// <c>POST /api/purchases</c> does, so an order delivered on both paths is credited once.
/// <para>A valid purchase or a replay answers 200 and the message is completed. A storage outage answers 503, so the
/// trigger retries later. A message that can never be recorded (not JSON, invalid, unknown member, purchase id reused
/// with other content or by another member) answers 4xx with the reason: the trigger retries it like any failure and
/// then moves it to <c>purchases-poison</c> (Storage) or the dead-letter queue (Service Bus). The README says why.</para></summary>
public static partial class PurchaseFunctions
{
    public const string FromQueue = "RecordPurchaseFromQueue";
    public const string FromServiceBus = "RecordPurchaseFromServiceBus";

    /// <summary>The trigger binding's name in both function.json files.</summary>
    public const string MessageBinding = "message";

    private static readonly MessageKind Queue = new(FromQueue, "DequeueCount");
    private static readonly MessageKind ServiceBus = new(FromServiceBus, "DeliveryCount");

    public static IEndpointRouteBuilder MapPurchaseFunctions(this IEndpointRouteBuilder app)
    {
        app.MapInvocation<PurchaseRecorder>(FromQueue, (invocation, recorder, logger, ct) => RecordAsync(Queue, invocation, recorder, logger, ct));
        app.MapInvocation<PurchaseRecorder>(FromServiceBus, (invocation, recorder, logger, ct) => RecordAsync(ServiceBus, invocation, recorder, logger, ct));
        return app;
    }

    private static async Task<JsonHttpResult<InvocationResult>> RecordAsync(
        MessageKind kind, FunctionInvocation invocation, PurchaseRecorder recorder, ILogger logger, CancellationToken ct)
    {
        var message = new MessageRef(kind.Function, invocation.LogId(), invocation.MetadataNumber(kind.CountKey));
        if (invocation.JsonValue(MessageBinding) is not { } json)
        {
            return Reject(logger, message, StatusCodes.Status400BadRequest, "no message", $"Data.{MessageBinding} is missing");
        }

        var (request, problem) = JsonBody.Parse<PurchaseRequest>(json, skipUnknown: true);
        if (problem is not null)
        {
            return Reject(logger, message, StatusCodes.Status400BadRequest, "malformed JSON", Describe(problem));
        }

        var v = new Validator();
        var purchase = recorder.Validate(request!, v);
        if (purchase is null)
        {
            return Reject(logger, message, StatusCodes.Status400BadRequest, "invalid purchase", Describe(v.Errors));
        }

        var result = await recorder.RecordAsync(purchase, ct);
        var purchaseId = purchase.PurchaseId.Value;
        switch (result.Status)
        {
            case OperationStatus.Created or OperationStatus.Replayed:
                var replay = result.Status == OperationStatus.Replayed;
                LogRecorded(logger, kind.Function, purchaseId, purchase.MemberId.Value, message.Id, replay);
                return InvocationResult.Completed(replay
                    ? $"Message {message.Id}: purchase {purchaseId} was already recorded; nothing changed."
                    : $"Message {message.Id}: recorded purchase {purchaseId}, {result.Value!.PointsEarned} points.");
            case OperationStatus.MemberNotFound:
                return Reject(logger, message, StatusCodes.Status404NotFound, "unknown member", $"purchase {purchaseId}: no member has its memberId");
            case OperationStatus.Conflict:
                return Reject(logger, message, StatusCodes.Status409Conflict, "idempotency conflict", $"purchase {purchaseId} was already recorded with different content or for another member");
            default:
                return Reject(logger, message, StatusCodes.Status422UnprocessableEntity, "refused by the program rules", $"purchase {purchaseId}: {result.Refusal?.Detail}");
        }
    }

    // Logged once per attempt; the trigger moves the message to poison / dead-letter after its last attempt.
    private static JsonHttpResult<InvocationResult> Reject(ILogger logger, MessageRef message, int status, string reason, string details)
    {
        LogRejected(logger, message.Function, message.Id, message.Attempt, reason, details);
        return InvocationResult.Failed(status, $"Message {message.Id} cannot be recorded ({reason}): {details.TrimEnd('.')}. It goes to the poison / dead-letter queue after its last retry.");
    }

    // Field names and the validator's messages only: they never quote the values sent.
    private static string Describe(IDictionary<string, string[]> errors) =>
        string.Join("; ", errors.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"));

    private static string Describe(ProblemHttpResult problem) => problem.ProblemDetails switch
    {
        HttpValidationProblemDetails { Errors.Count: > 0 } v => Describe(v.Errors),
        var p => p.Detail ?? p.Title ?? "unreadable",
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "{Function} recorded purchase {PurchaseId} for {MemberId} from message {MessageId} (replay: {Replay})")]
    private static partial void LogRecorded(ILogger logger, string function, string purchaseId, string memberId, string messageId, bool replay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function} cannot record message {MessageId} (attempt {Attempt}): {Reason}: {Errors}")]
    private static partial void LogRejected(ILogger logger, string function, string messageId, long? attempt, string reason, string errors);

    private sealed record MessageKind(string Function, string CountKey);

    private sealed record MessageRef(string Function, string Id, long? Attempt);
}
