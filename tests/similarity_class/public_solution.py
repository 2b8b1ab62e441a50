"""A solution as found online: squeeze/unsqueeze style, sorted layers, a counter-based fooling loop."""
import torch


def compute_saliency_maps(X, y, model):
    model.eval()
    X.requires_grad_()
    saliency = None
    scores = model(X)
    target_scores = scores[range(len(y)), y]
    target_scores.backward(torch.ones_like(target_scores))
    saliency, _ = torch.max(X.grad.data.abs(), dim=1)
    return saliency


def make_fooling_image(X, target_y, model):
    X_fooling = X.clone()
    X_fooling = X_fooling.requires_grad_()
    learning_rate = 1
    for i in range(100):
        scores = model(X_fooling)
        _, idx = scores.data.max(1)
        if idx == target_y:
            break
        target_score = scores[0, target_y]
        target_score.backward()
        im_grad = X_fooling.grad.data
        X_fooling.data += learning_rate * (im_grad / im_grad.norm())
        X_fooling.grad.data.zero_()
    return X_fooling.detach()


def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    scores = model(img)
    target_score = scores[0, target_y]
    target_score = target_score - l2_reg * torch.sum(img.data * img.data)
    target_score.backward()
    im_grad = img.grad.data
    img.data += learning_rate * (im_grad / im_grad.norm())
    img.grad.data.zero_()


def capture_activations(model, X, layers):
    modules = dict(model.named_modules())
    activations = {}
    handles = list()
    for layer in sorted(layers):
        handles.append(modules[layer].register_forward_hook(
            lambda module, input, output, layer=layer: activations.update({layer: output})))
    model(X)
    for handle in handles:
        handle.remove()
    return activations


def filter_visualization_update_step(img, model, layer, channel, l2_reg, learning_rate):
    activations = capture_activations(model, img, [layer])
    target_score = activations[layer][0, channel].mean()
    target_score = target_score - l2_reg * torch.sum(img.data * img.data)
    target_score.backward()
    im_grad = img.grad.data
    img.data += learning_rate * (im_grad / im_grad.norm())
    img.grad.data.zero_()
