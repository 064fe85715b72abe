; double_free.asm — "you have to ... free it all manually" — once.
;
; The post: `mov rdi, rax` / `call free` to release memory.
; The bug: the program frees the same 64-byte block twice. Without memboss glibc may notice
; and abort, or the heap is silently corrupted (the block can be handed out twice).
; What memboss reports: a double-free naming the 64-byte block, where it was allocated and
; where it was first freed; memboss ignores the second free, the program finishes, and the
; exit status is 1 because there was a finding.

        default rel
        extern  malloc, free, printf
        global  main

        section .rodata
msg:    db      "freed the block twice", 10, 0

        section .text
main:
        push    rbx
        mov     rdi, 64
        call    malloc
        test    rax, rax
        jz      .done
        mov     rbx, rax

        mov     rdi, rbx
        call    free
        mov     rdi, rbx
        call    free                    ; BUG: the block is already free

        lea     rdi, [msg]
        xor     eax, eax
        call    printf
.done:
        xor     eax, eax
        pop     rbx
        ret

        section .note.GNU-stack noalloc noexec nowrite progbits
