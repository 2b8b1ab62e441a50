"""expect-fail: grad_cam-values
Grad-CAM weighted by the gradient of the cross-entropy loss instead of the class score."""
import torch.nn.functional as F


def grad_cam(X, y, model, layer):
    module = dict(model.named_modules())[layer]
    training = model.training
    model.eval()
    captured = []
    handle = module.register_forward_hook(lambda m, inputs, output: captured.append(output))
    try:
        scores = model(X.detach().clone().requires_grad_())
    finally:
        handle.remove()
        model.train(training)
    A = captured[0]
    grad, = torch.autograd.grad(F.cross_entropy(scores, y), A)
    cams = F.relu((grad.mean(dim=(2, 3), keepdim=True) * A).sum(dim=1, keepdim=True))
    return F.interpolate(cams, size=X.shape[2:], mode="bilinear", align_corners=False)[:, 0].detach()
