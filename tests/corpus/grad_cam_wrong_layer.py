"""expect-fail: grad_cam-values
The hook keeps the layer's input (its first argument after the module) instead of its output:
the Grad-CAM of the layer before."""
import torch.nn.functional as F


def grad_cam(X, y, model, layer):
    module = dict(model.named_modules())[layer]
    training = model.training
    model.eval()
    captured = []
    handle = module.register_forward_hook(lambda m, inputs, output: captured.append(inputs[0]))
    try:
        scores = model(X.detach().clone().requires_grad_())
    finally:
        handle.remove()
        model.train(training)
    A = captured[0]
    grad, = torch.autograd.grad(scores.gather(1, y.view(-1, 1)).sum(), A)
    cams = F.relu((grad.mean(dim=(2, 3), keepdim=True) * A).sum(dim=1, keepdim=True))
    return F.interpolate(cams, size=X.shape[2:], mode="bilinear", align_corners=False)[:, 0].detach()
