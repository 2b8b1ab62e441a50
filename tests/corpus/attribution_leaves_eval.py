"""expect-fail: smooth_grad-no_side_effects grad_cam-no_side_effects
Right values, but side effects: SmoothGrad leaves the model in eval mode (compute_saliency_maps
calls model.eval() and nothing restores the mode); Grad-CAM drops the hook's handle, so the hook stays."""
import torch.nn.functional as F


def smooth_grad(X, y, model, noise):
    return sum(compute_saliency_maps(X + sample, y, model) for sample in noise) / len(noise)


def grad_cam(X, y, model, layer):
    module = dict(model.named_modules())[layer]
    training = model.training
    model.eval()
    captured = []
    module.register_forward_hook(lambda m, inputs, output: captured.append(output))
    scores = model(X.detach().clone().requires_grad_())
    model.train(training)
    A = captured[-1]
    grad, = torch.autograd.grad(scores.gather(1, y.view(-1, 1)).sum(), A)
    cams = F.relu((grad.mean(dim=(2, 3), keepdim=True) * A).sum(dim=1, keepdim=True))
    return F.interpolate(cams, size=X.shape[2:], mode="bilinear", align_corners=False)[:, 0].detach()
