; correct.asm — the post's "Managing Memory Manually", done right.
;
; The post: allocate with `mov rdi, 64` / `call malloc`, store with `mov`, and give the
; memory back with `mov rdi, rax` / `call free`.
; This program: allocates 64 bytes, stores 0xDEADBEEF, reads it back, prints it, frees the
; block. It has no bug: memboss prints nothing and the exit status is 0.
; Two details the post's snippets leave out: `mov [rax], 0xDEADBEEF` needs a size (`qword`)
; and 0xDEADBEEF does not fit a 32-bit immediate, so the value goes through a register; and
; `call printf` clobbers rax, so the pointer lives in rbx, a register calls must preserve.

        default rel
        extern  malloc, free, printf
        global  main

        section .rodata
fmt:    db      "stored and read back 0x%lx", 10, 0
oom:    db      "out of memory", 10, 0

        section .text
main:
        push    rbx                     ; keep rbx for the caller; aligns rsp to 16
        mov     rdi, 64                 ; allocate 64 bytes
        call    malloc                  ; rax points to the new memory (or is NULL)
        test    rax, rax
        jz      .no_memory
        mov     rbx, rax                ; keep the pointer where calls leave it alone

        mov     rcx, 0xDEADBEEF
        mov     [rbx], rcx              ; store 8 bytes into the block
        mov     rsi, [rbx]              ; read them back
        lea     rdi, [fmt]
        xor     eax, eax                ; printf is variadic: no vector registers used
        call    printf

        mov     rdi, rbx                ; pass the address back
        call    free
        xor     eax, eax                ; exit status 0
        pop     rbx
        ret

.no_memory:
        lea     rdi, [oom]
        xor     eax, eax
        call    printf
        mov     eax, 1
        pop     rbx
        ret

        section .note.GNU-stack noalloc noexec nowrite progbits
