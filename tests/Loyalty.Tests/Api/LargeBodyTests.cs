using System.Net;
using System.Text;
using Loyalty.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Tests.Api;

/// <summary>Bodies far over the limit, through a real socket (Kestrel), as a client sends them: the client must see the
/// 413 problem, not a connection reset while it is still sending.</summary>
public sealed class LargeBodyTests(Azurite azurite)
{
    [Fact]
    public async Task RecordPurchase_FiveMegabyteBody_Answers413Problem_NotAReset()
    {
        await using var app = new LoyaltyApp(azurite);
        app.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var client = new HttpClient { BaseAddress = new Uri(address) };
        var body = """{"purchaseId":"big-1","memberId":"m","note":" """ + new string('x', 5 * 1024 * 1024) + "\"}";

        using var response = await client.PostAsync("/api/purchases", new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var problem = await response.ReadProblemAsync();
        Assert.Equal("/problems/payload-too-large", problem.Type);
        Assert.Contains("65536 bytes", problem.Detail, StringComparison.Ordinal);
    }
}
